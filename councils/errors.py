"""Domain errors of council records: CouncilError and its subclasses (cities.errors.DomainError: a translated
message, a code, the HTTP status an API gives it). They are also Django ValidationErrors (forms and the admin
catch them as such). A raise may name the field it is about with `code=` (for example `code="phone"`): the pages
put the message next to that field."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cities.errors import DomainValidationError


class CouncilError(DomainValidationError):
    """A council rule refuses the request."""


class AlreadyVoted(CouncilError):
    default_message = _("This ballot code has already been used.")
    status_code = 409
    code = "already_voted"


class UnknownCode(CouncilError):
    default_message = _("This code is not valid. Check it and try again.")
    status_code = 404
    code = "unknown_code"


class ElectionNotOpen(CouncilError):
    default_message = _("Voting is not open for this election.")
    status_code = 409
    code = "election_not_open"


class NotCheckedIn(CouncilError):
    default_message = _(
        "Check in to the meeting first: your ballot code works once you are checked in. Then scan your slip again."
    )
    status_code = 409
    code = "not_checked_in"


class RosterImportError(CouncilError):
    """The file has problems. `problems` lists (row, column, message); nothing was imported."""

    default_message = _("The file has problems; nothing was imported.")
    code = "roster_import"

    def __init__(self, problems: list[tuple[int | None, str, str | Promise]]):
        super().__init__()
        self.problems = problems
