from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, with every error carrying a `detail` message in the caller's language."""
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        first = next(iter(response.data.values()), None)
        if isinstance(first, list) and first:
            first = first[0]
        response.data = {"detail": str(first) if first is not None else "", "errors": response.data}
    return response
