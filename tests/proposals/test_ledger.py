from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proposals import selectors, services
from proposals.errors import BudgetExceeded, InsufficientBalance, InvalidInput, NotAllowed
from proposals.models import AppendOnlyError, LedgerEntry, Project
from tests.factories import UserFactory

from .factories import ProjectFactory


@pytest.fixture
def project(call_a):
    return ProjectFactory(proposal__call=call_a, proposal__requested_amount=Decimal("3000.00"))


def test_paying_a_tranche_posts_a_ledger_entry_and_moves_the_balance(project, facilitator):
    tranche = services.tranche_plan(project=project, amount="1200", planned_on=date(2026, 12, 1), actor=facilitator)
    entry = services.tranche_pay(tranche=tranche, actor=facilitator, paid_on=date(2026, 12, 2))
    project.refresh_from_db()
    tranche.refresh_from_db()
    assert (tranche.status, tranche.paid_on) == ("paid", date(2026, 12, 2))
    assert entry.amount == Decimal("1200.00") == project.balance == project.disbursed
    with pytest.raises(InvalidInput):
        services.tranche_pay(tranche=tranche, actor=facilitator)
    assert LedgerEntry.objects.count() == 1


def test_tranches_never_plan_more_than_the_grant(project, facilitator):
    services.tranche_plan(project=project, amount="2000", planned_on=date(2026, 12, 1), actor=facilitator)
    with pytest.raises(BudgetExceeded):
        services.tranche_plan(project=project, amount="1000.01", planned_on=date(2027, 1, 1), actor=facilitator)


def test_spending_more_than_the_team_holds_is_refused_and_nothing_is_written(project, facilitator):
    tranche = services.tranche_plan(project=project, amount="500", planned_on=date(2026, 12, 1), actor=facilitator)
    services.tranche_pay(tranche=tranche, actor=facilitator)
    services.ledger_record(project=project, kind="expense", amount="300", description="Paint", actor=facilitator)
    with pytest.raises(InsufficientBalance):
        services.ledger_record(project=project, kind="expense", amount="200.01", description="Tools", actor=facilitator)
    project.refresh_from_db()
    assert project.balance == Decimal("200.00")
    assert project.spent == Decimal("300.00")
    assert LedgerEntry.objects.count() == 2


def test_the_team_lead_records_spending_but_strangers_and_charlie_do_not(project, charlie, facilitator):
    tranche = services.tranche_plan(project=project, amount="500", planned_on=date(2026, 12, 1), actor=facilitator)
    services.tranche_pay(tranche=tranche, actor=facilitator)
    lead = project.proposal.lead
    services.ledger_record(project=project, kind="expense", amount="10", description="Seeds", actor=lead)
    for outsider in (UserFactory(), charlie):
        with pytest.raises(NotAllowed):
            services.ledger_record(project=project, kind="expense", amount="10", description="x", actor=outsider)
    with pytest.raises(NotAllowed):
        services.tranche_pay(
            tranche=services.tranche_plan(project=project, amount="1", planned_on=date(2027, 1, 1), actor=facilitator),
            actor=lead,
        )


def test_ledger_entries_cannot_be_changed_or_deleted(project, facilitator):
    tranche = services.tranche_plan(project=project, amount="500", planned_on=date(2026, 12, 1), actor=facilitator)
    entry = services.tranche_pay(tranche=tranche, actor=facilitator)
    entry.amount = Decimal("5000")
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1"))
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.get(pk=entry.pk).amount == Decimal("500.00")


def test_the_admin_offers_no_way_to_add_change_or_delete_ledger_entries(rf, city_admin):
    from django.contrib.admin.sites import site

    model_admin = site._registry[LedgerEntry]
    request = rf.get("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_the_database_refuses_an_expense_with_a_positive_sign(project):
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            project=project, kind="expense", amount=Decimal("10"), balance_after=Decimal("10"), description="x"
        )


operations = st.lists(
    st.tuples(
        st.sampled_from(["plan_and_pay", "expense", "refund"]),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000"), places=2),
    ),
    max_size=12,
)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_balance_always_equals_the_sum_of_the_ledger_and_never_goes_negative(ops, city_a, facilitator):
    project = ProjectFactory(proposal__call__city=city_a, proposal__requested_amount=Decimal("5000.00"))
    for kind, amount in ops:
        try:
            if kind == "plan_and_pay":
                tranche = services.tranche_plan(
                    project=project, amount=amount, planned_on=date(2027, 1, 1), actor=facilitator
                )
                services.tranche_pay(tranche=tranche, actor=facilitator)
            else:
                services.ledger_record(project=project, kind=kind, amount=amount, description="op", actor=facilitator)
        except (BudgetExceeded, InsufficientBalance):
            pass
        project.refresh_from_db()
        assert project.balance == selectors.ledger_total(project)
        assert project.balance >= 0
        assert project.disbursed <= project.grant
        last = project.ledger.order_by("-id").first()
        assert project.balance == (last.balance_after if last else Decimal("0"))
    total_in = sum(e.amount for e in project.ledger.filter(kind="disbursement"))
    assert total_in == project.disbursed
    assert Project.objects.get(pk=project.pk).spent == -sum(e.amount for e in project.ledger.filter(kind="expense"))
