from decimal import Decimal

import pytest

from proposals.models import CallPhase

from .factories import FundingCallFactory, ProjectProposalFactory


@pytest.fixture
def call_a(city_a):
    return FundingCallFactory(city=city_a, budget=Decimal("10000.00"), cap_per_project=Decimal("5000.00"))


@pytest.fixture
def call_b(city_b):
    return FundingCallFactory(city=city_b, budget=Decimal("20000.00"), cap_per_project=Decimal("5000.00"))


def eligible(call, **kwargs):
    return ProjectProposalFactory(call=call, status="eligible", **kwargs)


def move_to(call, phase):
    """Test shortcut: put a call in a phase without going through the services' audit."""
    call.phase = phase
    call.save(update_fields=["phase"])
    return call


@pytest.fixture
def selection_call(call_a):
    return move_to(call_a, CallPhase.SELECTION)
