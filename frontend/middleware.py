"""Language from the address: ?lang=ar|fr|en, so that shared links and QR codes can carry a language."""

from django.conf import settings
from django.utils import translation

LANGUAGE_QUERY_PARAMETER = "lang"


def requested_language(request) -> str | None:
    """The supported language named by ?lang= (ar, fr, en; variants such as ar-MA count), or None."""
    value = request.GET.get(LANGUAGE_QUERY_PARAMETER, "").strip()
    if not value:
        return None
    try:
        code = translation.get_supported_language_variant(value.lower())
    except LookupError:
        return None
    return code if code in dict(settings.LANGUAGES) else None


class LanguageFromQueryMiddleware:
    """Activate the language named by ?lang= for this request and remember it in the language cookie.

    Placed right after django.middleware.locale.LocaleMiddleware, so it overrides the language that one chose
    from the cookie or the browser. An unknown value is ignored.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = requested_language(request)
        if code:
            translation.activate(code)
            request.LANGUAGE_CODE = code
        response = self.get_response(request)
        if code and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != code:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                code,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
