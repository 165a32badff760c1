"""Domain errors of council records. Each is a ValidationError with a translated message."""

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class CouncilError(ValidationError):
    default_message = _("This request cannot be carried out.")
    status_code = 400

    def __init__(self, message=None, code=None, params=None):
        super().__init__(message if message is not None else self.default_message, code=code, params=params)

    @property
    def detail(self) -> str:
        return " ".join(str(m) for m in self.messages)


class AlreadyVoted(CouncilError):
    default_message = _("This ballot code has already been used.")
    status_code = 409


class UnknownCode(CouncilError):
    default_message = _("This code is not valid. Check it and try again.")
    status_code = 404


class ElectionNotOpen(CouncilError):
    default_message = _("Voting is not open for this election.")
    status_code = 409


class NotCheckedIn(CouncilError):
    default_message = _(
        "Check in to the meeting first: your ballot code works once you are checked in. Then scan your slip again."
    )
    status_code = 409


class RosterImportError(CouncilError):
    """The file has problems. `problems` lists (row, column, message); nothing was imported."""

    default_message = _("The file has problems; nothing was imported.")

    def __init__(self, problems: list[tuple[int | None, str, str | Promise]]):
        super().__init__()
        self.problems = problems
