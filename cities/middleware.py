from urllib.parse import unquote_plus

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from .permissions import is_any_city_admin

# What an administrator without two-factor authentication may still reach: sign-in, sign-out and the MFA set-up
# pages (all under /accounts/), the language switch, static and media files, and the health check. Everything
# else is refused until TOTP is set up: deny by default, so a staff page added later is covered without
# anyone remembering to list it here.
_ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/media/", "/healthz", "/favicon.ico")
_API_PREFIX = "/api/"

SETUP_REQUIRED_MESSAGE = _("As an administrator, you must set up two-factor authentication before you continue.")


class RequireAdminTwoFactorMiddleware:
    """Administrators must activate TOTP before anything but set-up: superusers always (they reach every city),
    city administrators when MAJLIS_REQUIRE_ADMIN_2FA is on.

    Those without a TOTP authenticator are sent to the activation page (HTML) or refused with 403 and
    {"detail": ...} (API calls made with the browser session). API calls with a token do not go through a
    session and are left to the API's own authentication.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._needs_setup(request):
            if request.path_info.startswith(_API_PREFIX):
                return JsonResponse({"detail": str(SETUP_REQUIRED_MESSAGE)}, status=403)
            messages.warning(request, SETUP_REQUIRED_MESSAGE)
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _needs_setup(request) -> bool:
        if request.path_info.startswith(_ALLOWED_PREFIXES):
            return False
        # No session cookie: nobody is signed in, and the anonymous majority costs no database query.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return False
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return False
        if not user.is_superuser and not (
            getattr(settings, "MAJLIS_REQUIRE_ADMIN_2FA", False) and is_any_city_admin(user)
        ):
            return False
        from allauth.mfa.models import Authenticator

        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


NUL_REFUSED_MESSAGE = _("This request contains a NUL character, which no address or field of Majlis accepts.")
_FORM = "application/x-www-form-urlencoded"


class RefuseNulBytesMiddleware:
    """400 for a request whose path, query string, cookies or form fields contain a NUL character.

    PostgreSQL cannot store or compare a text with NUL in it: such a value reaching a query would be a 500. No address,
    parameter or field of Majlis has a use for one, so they are refused here, once, before any view reads them
    (form fields and JSON bodies validated by Django's and DRF's fields are refused there too). The vote and join
    fast path (consultations/live/asgi.py) reads only the path's code and a JSON body, both checked by its parser.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            if request.path_info.startswith(_API_PREFIX):
                return JsonResponse({"detail": str(NUL_REFUSED_MESSAGE), "code": "nul_character"}, status=400)
            return HttpResponseBadRequest(str(NUL_REFUSED_MESSAGE), content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path or "\x00" in unquote_plus(request.META.get("QUERY_STRING", "")):
            return True
        if any("\x00" in name or "\x00" in value for name, value in request.COOKIES.items()):
            return True
        # A form body is decoded like a query string; read only when small enough for Django to read it anyway.
        return (
            request.method == "POST"
            and request.content_type == _FORM
            and int(request.META.get("CONTENT_LENGTH") or 0) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            and "\x00" in unquote_plus(request.body.decode("latin-1"))
        )
