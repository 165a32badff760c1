"""The Django admin's door: staff reach it only through allauth's sign-in, and only with a second factor.

Django's own admin login form would be a second way in, without allauth's rate limits and without its
two-factor step: it is replaced by a view that sends everyone to allauth (`?next=` brings them back). The admin
is then open to an active staff account whose session passed a second factor (a TOTP code or a recovery code,
at sign-in or by re-authenticating), in every mode, DEBUG included. docs/security.md, "The admin door".
"""

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _

SETUP_REQUIRED_MESSAGE = _("The administration site requires two-factor authentication: set it up to continue.")
CODE_REQUIRED_MESSAGE = _("Enter a code from your authenticator app to open the administration site.")


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def signed_in_with_second_factor(request) -> bool:
    """Whether this browser session of request.user passed a second factor (allauth's authentication records)."""
    user = request.user
    if not user.is_authenticated:
        return False
    records = get_authentication_records(request, user)
    return any(record.get("method") == "mfa" for record in records) and has_totp(user)


class MajlisAdminSite(admin.AdminSite):
    def has_permission(self, request) -> bool:
        return super().has_permission(request) and signed_in_with_second_factor(request)

    def login(self, request, extra_context=None):
        """Never a password form: send the visitor to the step they still lack, then back to where they were."""
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
            target = reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        if not has_totp(user):
            messages.warning(request, SETUP_REQUIRED_MESSAGE)
            return redirect("mfa_activate_totp")
        if not signed_in_with_second_factor(request):
            messages.info(request, CODE_REQUIRED_MESSAGE)
            return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': target})}")
        return redirect(target)
