from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from cities.errors import DomainError


def exception_handler(exc, context):
    """The API's one error mapping (REST_FRAMEWORK's EXCEPTION_HANDLER): a DomainError of any app answers its status
    with `{"detail", "code"}` (and `errors` when it has field errors); DRF's own errors keep DRF's handling, with every
    one of them carrying a `detail` message. Messages are in the caller's language (docs/api.md, "Errors")."""
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(exc.as_body(), status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        first = next(iter(response.data.values()), None)
        if isinstance(first, list) and first:
            first = first[0]
        response.data = {"detail": str(first) if first is not None else "", "errors": response.data}
    return response
