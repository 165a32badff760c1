"""The one domain error every app's errors derive from.

A service refuses with a DomainError: a message a person reads (translated; a gettext_lazy message is rendered in
the reader's language), a machine `code` that API clients branch on, and the HTTP `status_code` the API answers
with. Each
app keeps its own module of errors (consultations/errors.py, councils/errors.py, proposals/errors.py) whose
families are thin subclasses. The API turns one into a JSON body in cities/api/exceptions.py, the pages into a
form error, a message or an error page in frontend/errors.py; nothing else maps them.
"""

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

Text = str | Promise


def _format(message: Text, params: Mapping[str, object]) -> str:
    return str(message) % params


_format_lazy = lazy(_format, str)


def formatted(message: Text, **params: object) -> Text:
    """`message % params`, worded in the language active where it is read rather than where it is made: a refusal
    made in the live writer's thread (consultations/live/writer.py) is read in the language of the request."""
    return _format_lazy(message, params)


class DomainError(Exception):
    """A request the rules refuse. Subclasses set `status_code`, `code` and `default_message`; a raise may give a
    more precise message, a more precise code (`code=`, for example the form field it is about) and field errors
    (`field_errors={"field": ["message", ...]}`, answered as `errors` by the API)."""

    status_code: int = 400
    code: str = "invalid"
    default_message: Text = _("This request cannot be carried out.")

    def __init__(
        self,
        message: Text | None = None,
        code: str | None = None,
        *,
        field_errors: Mapping[str, Sequence[Text]] | None = None,
    ) -> None:
        message = self.default_message if message is None else message
        super().__init__(str(message))
        # Set after the bases' __init__: ValidationError (DomainValidationError) sets its own message and code.
        self.message: Text = message
        self.code = code if code is not None else type(self).code
        self.field_errors: dict[str, list[Text]] = {name: list(texts) for name, texts in (field_errors or {}).items()}

    def __str__(self) -> str:
        return str(self.message)

    @property
    def detail(self) -> str:
        """The message in the active language."""
        return str(self.message)

    def as_body(self) -> dict:
        """The JSON body the API answers with (docs/api.md, "Errors"), in the active language."""
        body: dict = {"detail": str(self.message), "code": self.code}
        if self.field_errors:
            body["errors"] = {name: [str(text) for text in texts] for name, texts in self.field_errors.items()}
        return body


class DomainValidationError(DomainError, ValidationError):  # type: ignore[misc]  # code is always set here
    """A DomainError that is also a Django ValidationError (CouncilError, FundingError): forms, the admin and model
    validation treat it as a validation error; `messages` and `form.add_error(None, error)` work as for any."""
