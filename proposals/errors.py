"""Domain errors of funding calls and projects: FundingError and its subclasses (cities.errors.DomainError: a
translated message, a code, the HTTP status the API answers with). They are also Django ValidationErrors (forms
and the admin catch them as such). WrongPhase is the one class shared with live sessions (consultations.errors);
funding services raise it with CALL_WRONG_PHASE or a more precise message."""

from django.utils.translation import gettext_lazy as _

from cities.errors import DomainValidationError
from consultations.errors import WrongPhase

__all__ = [
    "CALL_WRONG_PHASE",
    "AlreadySelected",
    "AlreadyVoted",
    "BadAttachment",
    "BudgetExceeded",
    "DeadlinePassed",
    "FundingError",
    "InsufficientBalance",
    "InvalidInput",
    "NotAllowed",
    "SelectionBlocked",
    "WrongPhase",
]

CALL_WRONG_PHASE = _("This is not possible in the funding call's current phase.")


class FundingError(DomainValidationError):
    """A funding rule refuses the request."""


class DeadlinePassed(FundingError):
    status_code = 409
    code = "deadline_passed"
    default_message = _("The submission deadline has passed.")


class NotAllowed(FundingError):
    status_code = 403
    code = "not_allowed"
    default_message = _("You may not do this.")


class InvalidInput(FundingError):
    code = "invalid_input"


class BadAttachment(FundingError):
    code = "bad_attachment"
    default_message = _("Attach a PDF, JPG or PNG file of at most 5 MB.")


class AlreadySelected(FundingError):
    status_code = 409
    code = "already_selected"
    default_message = _("The selection of this call has already been run.")


class SelectionBlocked(FundingError):
    status_code = 409
    code = "selection_blocked"


class BudgetExceeded(FundingError):
    status_code = 409
    code = "budget_exceeded"
    default_message = _("This would allocate more than the call's budget.")


class AlreadyVoted(FundingError):
    status_code = 409
    code = "already_voted"
    default_message = _("This vote has already been cast.")


class InsufficientBalance(FundingError):
    status_code = 409
    code = "insufficient_balance"
    default_message = _("The project's balance is too low for this.")
