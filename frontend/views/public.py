"""Public pages: the home page with the cities and their open consultations, and the join-code form."""

from dataclasses import dataclass

from django import forms
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from cities.models import City
from consultations.models import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, Consultation, Phase, Session
from consultations.services import normalise_join_code


@dataclass
class CityListing:
    city: City
    consultations: list[Consultation]


def cities_with_open_consultations() -> list[CityListing]:
    """Every city with its public consultations that have a session not yet closed, newest first."""
    open_session = Session.objects.filter(consultation=OuterRef("pk")).exclude(phase=Phase.CLOSED)
    consultations = (
        Consultation.objects.filter(is_public=True)
        .filter(Exists(open_session))
        .order_by("city_id", "-created_at", "-id")
    )
    by_city: dict[int, list[Consultation]] = {}
    for consultation in consultations:
        by_city.setdefault(consultation.city_id, []).append(consultation)
    return [CityListing(city=city, consultations=by_city.get(city.pk, [])) for city in City.objects.order_by("slug")]


class JoinCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Join code"),
        max_length=20,
        help_text=_("The six characters shown on the screen in the room."),
        widget=forms.TextInput(
            attrs={
                "class": "input-code",
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "inputmode": "text",
            }
        ),
    )

    def clean_code(self) -> str:
        code = normalise_join_code(self.cleaned_data["code"])
        if len(code) != JOIN_CODE_LENGTH or any(ch not in JOIN_CODE_ALPHABET for ch in code):
            raise forms.ValidationError(
                _("A join code has six letters and digits, as shown on the screen. Please check it and try again."),
                code="invalid_join_code",
            )
        return code


def _home(request, join_form: JoinCodeForm):
    return render(
        request,
        "frontend/home.html",
        {"listings": cities_with_open_consultations(), "join_form": join_form},
    )


def home(request):
    return _home(request, JoinCodeForm())


def join_by_code(request):
    """Normalise a typed join code and go to that session's join page; a malformed code shows the form again."""
    data = request.POST if request.method == "POST" else request.GET
    form = JoinCodeForm(data)
    if not form.is_valid():
        return _home(request, form)
    code = form.cleaned_data["code"]
    try:
        url = reverse("frontend:join", args=[code])
    except NoReverseMatch:  # the join page's URL is registered by the live-session pages
        url = f"/j/{code}/"
    return redirect(url)


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")
