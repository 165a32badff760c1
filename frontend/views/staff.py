"""The staff dashboard shell and the signed-in user's API tokens."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cities.models import ApiToken
from cities.permissions import cities_for_user, networks_for_admin
from cities.services import api_token_issue, api_token_revoke


@login_required
def dashboard(request):
    cities = cities_for_user(request.user).order_by("slug")
    networks = networks_for_admin(request.user).prefetch_related("cities")
    return render(request, "frontend/staff/dashboard.html", {"cities": cities, "networks": networks})


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("What the token is for, so that you recognise it later (for example: “roster import”)."),
    )


def _own_tokens(user):
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-id")


@never_cache
@login_required
def api_tokens(request):
    """List the user's active tokens and issue a new one. A new key is shown in this response only."""
    new_key = None
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            _token, new_key = api_token_issue(user=request.user, name=form.cleaned_data["name"])
            form = ApiTokenForm()
    else:
        form = ApiTokenForm()
    return render(
        request,
        "frontend/staff/api_tokens.html",
        {"tokens": _own_tokens(request.user), "form": form, "new_key": new_key},
    )


@require_POST
@login_required
def api_token_revoke_view(request, token_id: int):
    token = get_object_or_404(_own_tokens(request.user), pk=token_id)
    api_token_revoke(token=token)
    messages.success(request, _("The token %(prefix)s… has been revoked.") % {"prefix": token.prefix})
    return redirect("frontend:api_tokens")
