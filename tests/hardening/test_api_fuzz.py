"""API fuzzing: schemathesis generates requests from /api/v1/schema/ and sends them to the WSGI app as each role.

For every operation of the schema and every role, a bounded number of generated cases (valid and invalid data;
path parameters either generated or naming real objects of Fes, so that requests get past the 404s) go through
the Django app in-process. Each answer must be no server error, carry a documented content type and, for a
documented status, a body that matches the schema. Every case runs in a transaction that is rolled back, so all
cases see the same world (tests/hardening/conftest.py).

Bounded for CI: MAJLIS_FUZZ_EXAMPLES cases per operation and role (default 6; about a minute in all), with a
fixed seed. A deeper run by hand: MAJLIS_FUZZ_EXAMPLES=100 MAJLIS_FUZZ_RANDOM=1 pytest tests/hardening/test_api_fuzz.py
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from cities.models import User
from cities.services import api_token_issue
from consultations.tokens import participant_token

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("MAJLIS_FUZZ_EXAMPLES", "6"))
DERANDOMIZE = os.environ.get("MAJLIS_FUZZ_RANDOM", "") != "1"
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]

ROLES = ("anonymous", "participant", "facilitator", "secretariat", "analyst", "admin", "charlie")


def _authorization(world, role: str) -> dict:
    from consultations.models import Participant

    if role == "anonymous":
        return {}
    if role == "participant":
        participant = Participant.objects.filter(session=world.session).order_by("-pk").first()
        return {"Authorization": f"Participant {participant_token(participant)}"}
    email = "admin@saida.majlis.test" if role == "charlie" else None
    user = User.objects.get(email=email) if email else _staff_user(world, role)
    _, key = api_token_issue(user=user)
    return {"Authorization": f"Token {key}"}


def _staff_user(world, role: str) -> User:
    from cities.models import StaffRole

    return StaffRole.objects.filter(city=world.city, role=role).order_by("pk").first().user


def _real_path_parameters(world) -> dict[str, dict]:
    """Per path template prefix, parameters that name real objects of Fes."""
    from councils.models import Council
    from proposals.models import FundingCall, Project, Tranche

    item = world.session.items.order_by("pk").first()
    call = FundingCall.objects.filter(city=world.city).order_by("pk").first()
    project = Project.objects.filter(proposal__call__city=world.city).order_by("pk").first()
    return {
        "/api/v1/sessions/": {"code": world.session.join_code, "item_id": item.pk if item else 1},
        "/api/v1/consultations/": {"id": world.consultation.pk},
        "/api/v1/councils/": {"id": Council.objects.get(city=world.city).pk},
        "/api/v1/exports/": {"identifier": "consultation_summary"},
        "/api/v1/funding-calls/": {"id": call.pk},
        "/api/v1/projects/": {"id": project.pk},
        "/api/v1/proposals/": {"id": project.proposal_id},
        "/api/v1/tranches/": {"id": Tranche.objects.filter(project=project).order_by("pk").first().pk},
    }


@pytest.fixture
def api_schema(world):
    """The schema, loaded from the app; requests go through the WSGI handler in this thread, inside the test's
    transaction. As Django's test client does, the handler must not close the connection after each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


def _strategy(operation, headers: dict, real: dict):
    prefix = next((p for p in real if operation.path.startswith(p)), None)
    names = {p.name for p in operation.path_parameters}
    fixed = {k: v for k, v in (real.get(prefix) or {}).items() if k in names}
    strategies = [operation.as_strategy(GenerationMode.POSITIVE, headers=headers)]
    strategies.append(operation.as_strategy(GenerationMode.NEGATIVE, headers=headers))
    if fixed:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, headers=headers, path_parameters=fixed))
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE, headers=headers, path_parameters=fixed))
    return st.one_of(strategies)


@pytest.mark.parametrize("role", ROLES)
def test_no_server_error_and_every_answer_matches_the_schema(world, api_schema, role):
    headers = _authorization(world, role)
    real = _real_path_parameters(world)
    operations = list(_operations(api_schema))
    assert len(operations) > 30
    failures = []
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            derandomize=DERANDOMIZE,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=_strategy(operation, headers, real))
        def fuzz(case):
            with transaction.atomic():
                try:
                    case.call_and_validate(checks=CHECKS)
                finally:
                    transaction.set_rollback(True)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # keep going: one report for every operation that fails
            failures.append(f"{operation.label} as {role}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
