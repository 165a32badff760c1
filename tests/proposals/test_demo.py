from decimal import Decimal

import pytest

from cities import demo as cities_demo
from consultations import demo as consultations_demo
from proposals import demo, selectors
from proposals.models import FundingCall, LedgerEntry, Project

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def seed():
    for city in cities_demo.seed_cities():
        staff, _passwords = cities_demo.seed_staff(city)
        context: dict = {}
        consultations_demo.seed_city(city=city, staff=staff, context=context)
        demo.seed_city(city=city, staff=staff, context=context)


def test_demo_seeds_a_call_per_city_in_its_currency_with_funded_projects_and_is_idempotent():
    seed()
    seed()
    fes = FundingCall.objects.get(city__slug="fes")
    saida = FundingCall.objects.get(city__slug="saida")
    assert (fes.budget, fes.currency) == (Decimal("200000.00"), "MAD")
    assert (saida.budget, saida.currency) == (Decimal("20000.00"), "USD")
    for call in (fes, saida):
        projects = list(call.projects.all())
        assert 2 <= len(projects) <= 3
        assert call.allocated == sum(p.grant for p in projects) <= call.budget
        for project in projects:
            assert project.tranches.filter(status="paid").exists()
            assert project.tranches.filter(status="planned").exists()
            assert project.milestones.count() == 3
            assert project.reports.exists()
            assert project.balance == selectors.ledger_total(project) > 0
    assert Project.objects.filter(proposal__source_item__isnull=False, city__slug="fes").exists()
    assert LedgerEntry.objects.count() == 2 * Project.objects.count()
