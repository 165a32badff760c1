from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
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
