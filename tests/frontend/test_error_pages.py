"""Pages show a domain error in one way (frontend/errors.py): on the form, as a message after a button's redirect,
or, when one escapes a view, as an error page with its status in the base layout."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import escape

from cities.errors import DomainError
from config.urls import urlpatterns as site_urlpatterns
from councils.errors import CouncilError
from frontend.errors import error_text, form_error
from proposals.errors import CALL_WRONG_PHASE, NotAllowed, WrongPhase

MIDDLEWARE = "frontend.errors.DomainErrorMiddleware"


def refusing(request):
    if request.GET.get("allowed"):
        return HttpResponse("done")
    raise WrongPhase(CALL_WRONG_PHASE)


def refusing_with_default(request):
    raise NotAllowed()


urlpatterns = [
    path("test/refused/", refusing),
    path("test/not-allowed/", refusing_with_default),
    *site_urlpatterns,
]


@pytest.fixture
def error_pages(settings):
    """The middleware, wherever the project's settings place it (once, at the end if they do not)."""
    if MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]


@pytest.mark.urls(__name__)
def test_a_refusal_escaping_a_view_is_a_page_with_its_status_and_arabic_message(client, db, error_pages):
    response = client.get("/test/refused/", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 409
    page = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "هذا غير ممكن في المرحلة الحالية من الدعوة للتمويل." in page
    assert "تعذّر القيام بذلك" in page  # the heading, in the base layout's main
    assert '<main id="main"' in page and "frontend/error.html" in [t.name for t in response.templates]
    assert 'href="/test/' not in page  # no Referer: no way back but the home page


@pytest.mark.urls(__name__)
def test_the_error_page_links_back_to_a_page_of_this_site_only(client, db, error_pages):
    back = "http://testserver/funding/"
    page = client.post("/test/not-allowed/", HTTP_REFERER=back, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert f'href="{back}"' in page and escape("Vous n'êtes pas autorisé à effectuer cette action.") in page
    elsewhere = client.post("/test/not-allowed/", HTTP_REFERER="https://evil.example/").content.decode()
    assert "evil.example" not in elsewhere


@pytest.mark.urls(__name__)
def test_pages_without_a_refusal_are_untouched(client, db, error_pages):
    response = client.get("/test/refused/?allowed=1")
    assert response.status_code == 200 and response.content == b"done"


def test_a_staff_button_refused_comes_back_to_its_page_with_the_message_in_arabic(client, facilitator, city_a):
    from proposals.models import FundingCall
    from tests.proposals.factories import FundingCallFactory

    call = FundingCallFactory(city=city_a)
    client.force_login(facilitator)
    response = client.post(
        reverse("frontend:funding_call_action", args=["fes", call.pk]), {"action": "select"}, HTTP_ACCEPT_LANGUAGE="ar"
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("frontend:funding_call_detail", args=["fes", call.pk])
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "يُجرى الاختيار في مرحلة الاختيار من دعوة التمويل." in page
    assert FundingCall.objects.get(pk=call.pk).selected_at is None


class MemberForm(forms.Form):
    full_name = forms.CharField()
    phone = forms.CharField(required=False)
    guardian_consent = forms.BooleanField(required=False)


@translation.override("en")
def test_form_error_puts_the_message_next_to_the_field_its_code_names():
    form = MemberForm({"full_name": "Salma"})
    assert form.is_valid()
    form_error(form, CouncilError("Not a phone number.", code="phone"))
    form_error(form, CouncilError("A guardian must agree.", code="guardian"), {"guardian": "guardian_consent"})
    form_error(form, CouncilError("All seats are filled."))
    form_error(form, ValidationError("Choose the item to merge into."))
    form_error(form, DomainError("Check the form.", field_errors={"full_name": ["Too short."], "other": ["Odd."]}))
    assert form.errors["phone"] == ["Not a phone number."]
    assert form.errors["guardian_consent"] == ["A guardian must agree."]
    assert form.errors["full_name"] == ["Too short."]
    assert form.non_field_errors() == [
        "All seats are filled.",
        "Choose the item to merge into.",
        "Odd.",
        "Check the form.",
    ]


@translation.override("en")
def test_error_text_reads_every_kind_of_refusal():
    assert error_text(WrongPhase(CALL_WRONG_PHASE)) == "This is not possible in the funding call's current phase."
    assert error_text(ValidationError(["One.", "Two."])) == "One. Two."
    assert error_text(ValueError("plain")) == "plain"
