"""The councils' part of seed_demo: believable, idempotent."""

import pytest

from cities import demo as cities_demo
from consultations import demo as consultations_demo
from councils import demo, selectors
from councils.models import Candidate, Council, Election, Meeting, Membership

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _seed():
    for city in cities_demo.seed_cities():
        staff, _passwords = cities_demo.seed_staff(city)
        context: dict = {}
        consultations_demo.seed_city(city=city, staff=staff, context=context)
        demo.seed_city(city=city, staff=staff, context=context)


def test_demo_gives_fes_its_communal_youth_council_with_an_elected_president():
    _seed()
    council = Council.objects.get(city__slug="fes")
    assert council.name == "Communal Youth Council" and council.seat_count == 91
    term = council.current_term()
    seated = Membership.objects.filter(term=term, status__in=["active", "suspended"])
    assert 25 <= seated.count() <= 35
    assert seated.values("person__district").distinct().count() == council.city.districts.count()
    president = seated.get(role="president")
    election = Election.objects.get(council=council)
    assert election.winner == president and president.changes.filter(election=election).exists()
    assert council.committees.count() >= 3
    assert Meeting.objects.filter(council=council).count() == 2
    assert all(rate.held == 2 for rate in selectors.attendance_rates(seated).values())
    assert Candidate.objects.filter(council=council).count() == 3


def test_demo_is_idempotent():
    _seed()
    counts = (Council.objects.count(), Membership.objects.count(), Candidate.objects.count(), Meeting.objects.count())
    _seed()
    assert counts == (
        Council.objects.count(),
        Membership.objects.count(),
        Candidate.objects.count(),
        Meeting.objects.count(),
    )
    assert Council.objects.count() == 2
