from urllib.parse import urlencode

from django.conf import settings
from django.utils import translation

from .middleware import LANGUAGE_QUERY_PARAMETER


def _path_without_language_parameter(request) -> str:
    """The current address without ?lang=, so that choosing another language in the switcher sticks."""
    if request is None:
        return "/"
    query = [(key, value) for key, value in request.GET.lists() if key != LANGUAGE_QUERY_PARAMETER]
    pairs = [(key, value) for key, values in query for value in values]
    return request.path + (f"?{urlencode(pairs)}" if pairs else "")


def layout(request):
    """What every page's base layout needs: the language switcher and the text direction."""
    code = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "languages": [(lang, name) for lang, name in settings.LANGUAGES],
        "current_language": code,
        "text_direction": "rtl" if translation.get_language_bidi() else "ltr",
        "language_next": _path_without_language_parameter(request),
    }
