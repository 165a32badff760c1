"""The one domain error (cities/errors.py): every app's errors derive from it and carry a code, a status and a
translated message; its JSON body is the API's error contract (docs/api.md, "Errors")."""

import copy
import importlib
import inspect
import pkgutil
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from cities.errors import DomainError, DomainValidationError

APPS = ("cities", "consultations", "councils", "proposals")

# Exception classes of these apps that are not refusals of a request by a rule, each with the reason.
NOT_DOMAIN_ERRORS = {
    "cities.exports.ExportNotFound": "an export the caller may not see: 404 saying no more, as for any unknown path",
    "consultations.live.ingest.Invalid": "data the live road cannot parse: DRF's validation answer (400 and errors)",
    "consultations.services.VotesRaced": "ballots that raced a merge: the writer runs the group again, never an answer",
    "councils.rosters.FileProblem": "a cell of an imported file; roster_import turns it into RosterImportError",
    "proposals.models.AppendOnlyError": "the ledger's model-level guard against edits, not a service's refusal",
}


def _modules():
    for app in APPS:
        package = importlib.import_module(app)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" in info.name or ".management." in info.name:
                continue
            yield importlib.import_module(info.name)


def _exception_classes():
    seen = {}
    for module in _modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__.split(".")[0] in APPS:
                seen[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return seen


ERRORS = _exception_classes()
DOMAIN_ERRORS = {name: cls for name, cls in ERRORS.items() if name not in NOT_DOMAIN_ERRORS}


def test_the_walk_finds_every_family():
    names = set(ERRORS)
    for family in (
        "consultations.errors.SessionError",
        "councils.errors.CouncilError",
        "proposals.errors.FundingError",
    ):
        assert family in names
    assert "consultations.errors.WrongPhase" in names and len(DOMAIN_ERRORS) > 30


@pytest.mark.parametrize("name", sorted(DOMAIN_ERRORS))
@translation.override("en")
def test_every_error_class_is_a_domain_error_with_code_status_and_translated_message(name):
    cls = DOMAIN_ERRORS[name]
    assert issubclass(cls, DomainError), f"{name} does not derive from cities.errors.DomainError"
    assert re.fullmatch(r"[a-z][a-z_]*", cls.code), f"{name} has no machine code"
    assert isinstance(cls.status_code, int) and 400 <= cls.status_code < 600, f"{name} has no error status"
    english = str(cls.default_message)
    assert english.strip(), f"{name} has no message"
    with translation.override("ar"):
        arabic = str(cls.default_message)
    with translation.override("fr"):
        french = str(cls.default_message)
    assert arabic != english and french != english, f"{name}'s message is not translated"


def test_one_wrong_phase_class_for_sessions_and_funding_calls():
    from consultations import errors as session_errors
    from proposals import errors as funding_errors

    assert funding_errors.WrongPhase is session_errors.WrongPhase
    wrong = [cls for cls in DOMAIN_ERRORS.values() if cls.__name__ == "WrongPhase"]
    assert wrong == [session_errors.WrongPhase]
    assert (session_errors.WrongPhase.code, session_errors.WrongPhase.status_code) == ("wrong_phase", 409)


@translation.override("en")
def test_the_body_is_detail_and_code_in_the_active_language():
    from proposals.errors import CALL_WRONG_PHASE, WrongPhase

    error = WrongPhase(CALL_WRONG_PHASE)
    assert error.as_body() == {
        "detail": "This is not possible in the funding call's current phase.",
        "code": "wrong_phase",
    }
    with translation.override("ar"):
        assert error.as_body()["detail"] == "هذا غير ممكن في المرحلة الحالية من الدعوة للتمويل."
        assert str(error) == error.detail == error.as_body()["detail"]


@translation.override("en")
def test_a_raise_may_name_a_precise_code_and_field_errors():
    error = DomainError("Check the form.", code="phone", field_errors={"phone": ["Not a phone number."]})
    assert error.code == "phone" and DomainError.code == "invalid"
    assert error.as_body() == {
        "detail": "Check the form.",
        "code": "phone",
        "errors": {"phone": ["Not a phone number."]},
    }
    assert "errors" not in DomainError().as_body()
    assert DomainError().as_body() == {"detail": "This request cannot be carried out.", "code": "invalid"}


@translation.override("en")
def test_council_and_funding_errors_are_also_validation_errors():
    from councils.errors import AlreadyVoted, CouncilError
    from proposals.errors import FundingError, NotAllowed

    for family in (CouncilError, FundingError):
        assert issubclass(family, DomainValidationError) and issubclass(family, ValidationError)
    error = CouncilError("The full name is required.", code="full_name")
    assert error.messages == ["The full name is required."] and error.code == "full_name"
    assert AlreadyVoted().code == "already_voted" and AlreadyVoted().messages == [str(AlreadyVoted.default_message)]
    assert NotAllowed().status_code == 403 and str(NotAllowed()) == "You may not do this."


def test_a_copied_session_error_keeps_its_class_message_and_code():
    """The join services answer a cached refusal again with a copy of it."""
    from consultations.errors import SessionNotFound, TooManyPoints

    for error in (SessionNotFound(), TooManyPoints("You have 2 points left.")):
        again = copy.copy(error)
        assert type(again) is type(error)
        assert (again.detail, again.code, again.status_code) == (error.detail, error.code, error.status_code)


def test_docs_list_every_code_the_api_may_answer():
    """docs/api.md, "Errors", is the contract: a new code is documented there."""
    from pathlib import Path

    from django.conf import settings

    text = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text(encoding="utf-8")
    section = text.split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([a-z_]+)`", section))
    missing = {name: cls.code for name, cls in DOMAIN_ERRORS.items() if cls.code not in documented}
    assert not missing, f"codes missing from docs/api.md, Errors: {missing}"
