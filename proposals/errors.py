"""Domain errors of funding calls and projects: ValidationError subclasses with a translated message and the HTTP
status the API answers with."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class FundingError(ValidationError):
    status_code = 400
    default_message = _("This request cannot be carried out.")

    def __init__(self, message=None):
        super().__init__(message if message is not None else self.default_message)

    @property
    def detail(self) -> str:
        return str(self.messages[0])


class WrongPhase(FundingError):
    status_code = 409
    default_message = _("This is not possible in the funding call's current phase.")


class DeadlinePassed(FundingError):
    status_code = 409
    default_message = _("The submission deadline has passed.")


class NotAllowed(FundingError):
    status_code = 403
    default_message = _("You may not do this.")


class InvalidInput(FundingError):
    pass


class BadAttachment(FundingError):
    default_message = _("Attach a PDF, JPG or PNG file of at most 5 MB.")


class AlreadySelected(FundingError):
    status_code = 409
    default_message = _("The selection of this call has already been run.")


class SelectionBlocked(FundingError):
    status_code = 409


class BudgetExceeded(FundingError):
    status_code = 409
    default_message = _("This would allocate more than the call's budget.")


class AlreadyVoted(FundingError):
    status_code = 409
    default_message = _("This vote has already been cast.")


class InsufficientBalance(FundingError):
    status_code = 409
    default_message = _("The project's balance is too low for this.")
