"""How pages show a refusal: the one place that turns a domain error (cities.errors.DomainError) into page output.

- A form page that re-renders its form puts the error on it with `form_error(form, exc)`.
- A button that posts and comes back (POST, redirect, GET) runs its service inside `with error_message(request):`:
  the refusal becomes an error message on the page it returns to.
- Any other DomainError that escapes a view becomes an error page with the error's status and message
  (`DomainErrorMiddleware`), in the base layout and the reader's language.

Every text comes from `error_text(exc)`. Django's own ValidationError (a form-level check in a view, model
validation) reads the same way.
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from cities.errors import DomainError

REFUSALS = (DomainError, ValidationError)


def error_text(exc: Exception) -> str:
    """What a person reads for exc, in the active language."""
    if isinstance(exc, DomainError):
        return exc.detail
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return str(exc)


def form_error(form: forms.BaseForm, exc: Exception, fields: Mapping[str, str] | None = None) -> None:
    """Put exc on form: its field errors next to their fields; its message next to the field its code names (a form
    field of that name, or `fields[code]`), else above the form."""
    for name, texts in getattr(exc, "field_errors", {}).items():
        for text in texts:
            form.add_error(name if name in form.fields else None, str(text))
    code = getattr(exc, "code", None) or ""
    field = (fields or {}).get(code, code if code in form.fields else None)
    form.add_error(field, error_text(exc))


@contextmanager
def error_message(request: HttpRequest) -> Iterator[None]:
    """Run a page's action: a DomainError or ValidationError raised inside becomes an error message shown on the next
    page, and the view goes on (it redirects, as after a success; success messages belong inside the block)."""
    try:
        yield
    except REFUSALS as exc:
        messages.error(request, error_text(exc))


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """A page that says why exc refused the request, with its status."""
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = ""
    context = {"status": exc.status_code, "message": error_text(exc), "back": back}
    return render(request, "frontend/error.html", context, status=exc.status_code)


class DomainErrorMiddleware:
    """Answer a DomainError that escapes a page's view with `error_page` instead of a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return error_page(request, exception) if isinstance(exception, DomainError) else None
