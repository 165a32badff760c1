"""The public home page: cities, their open consultations, and the join-code form."""

import pytest
from django.urls import reverse

from consultations.models import Phase
from frontend.views.public import cities_with_open_consultations
from tests.factories import ConsultationFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_home_lists_cities_in_the_active_language(client, city_a, city_b):
    body = client.get("/", {"lang": "ar"}).content.decode()
    assert "فاس" in body and "صيدا" in body
    body = client.get("/", {"lang": "fr"}).content.decode()
    assert "Fès" in body and "Saïda" in body
    assert "MA" in body and "LB" in body


def test_consultation_with_a_session_not_closed_is_listed_as_open(client, city_a):
    ConsultationFactory(city=city_a, title="Parks for Fes")
    consultation = ConsultationFactory(city=city_a, title="Youth transport")
    SessionFactory(consultation=consultation, phase=Phase.CHALLENGE_VOTING)
    body = client.get("/").content.decode()
    assert "Youth transport" in body
    assert "Parks for Fes" not in body  # no session at all


def test_consultation_whose_sessions_are_all_closed_is_not_listed(client, city_a):
    consultation = ConsultationFactory(city=city_a, title="Old consultation")
    SessionFactory(consultation=consultation, phase=Phase.CLOSED)
    SessionFactory(consultation=consultation, phase=Phase.CLOSED)
    assert "Old consultation" not in client.get("/").content.decode()


def test_consultation_not_listed_publicly_stays_off_the_home_page(client, city_a):
    consultation = ConsultationFactory(city=city_a, title="Internal rehearsal", is_public=False)
    SessionFactory(consultation=consultation, phase=Phase.LOBBY)
    assert "Internal rehearsal" not in client.get("/").content.decode()


def test_selector_groups_open_consultations_by_city_once_each(city_a, city_b):
    consultation = ConsultationFactory(city=city_a, title="Two open sessions")
    SessionFactory(consultation=consultation, phase=Phase.LOBBY)
    SessionFactory(consultation=consultation, phase=Phase.RESULTS)
    listings = {listing.city.slug: listing.consultations for listing in cities_with_open_consultations()}
    assert listings == {"fes": [consultation], "saida": []}


def test_home_page_query_count_does_not_grow_with_consultations(client, city_a, django_assert_max_num_queries):
    for n in range(5):
        SessionFactory(consultation=ConsultationFactory(city=city_a, title=f"C{n}"), phase=Phase.LOBBY)
    with django_assert_max_num_queries(4):
        client.get("/")


def test_home_page_shows_the_join_form_sending_code_by_get(client):
    body = client.get("/").content.decode()
    assert f'<form method="get" action="{reverse("frontend:join_by_code")}"' in body
    assert 'name="code"' in body
    assert '<label for="id_code">' in body


@pytest.mark.parametrize("typed", ["acd-efg", " ACD EFG ", "acdefg", "AC-DE-FG"])
def test_join_by_code_normalises_and_redirects_to_the_join_page(client, typed):
    response = client.get(reverse("frontend:join_by_code"), {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == "/j/ACDEFG/"


def test_join_by_code_accepts_post_too(client):
    response = client.post(reverse("frontend:join_by_code"), {"code": "hjk-mnp"})
    assert response.status_code == 302
    assert response["Location"] == "/j/HJKMNP/"


@pytest.mark.parametrize("typed", ["", "ACDEF", "ACDEFGH", "ACDEF0", "ACDEFO", "ACD!EFG1"])
def test_malformed_join_code_shows_the_home_page_again_with_an_error(client, city_a, typed):
    response = client.get(reverse("frontend:join_by_code"), {"code": typed})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="field-error"' in body
    assert 'aria-invalid="true"' in body
    assert "Fes" in body  # the rest of the home page is still there


def test_join_code_error_goes_through_the_translation_catalogue(client, monkeypatch):
    """No catalogue holds the message yet (translators come later): a stand-in catalogue proves it is looked up."""
    from django.utils import translation

    original = translation._trans.gettext

    def catalogue(message):
        return "«ar» " + message if message.startswith("A join code has") else original(message)

    monkeypatch.setattr(translation._trans, "gettext", catalogue)
    response = client.get(reverse("frontend:join_by_code"), {"code": "??", "lang": "ar"})
    body = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in body
    assert "«ar» A join code has six letters and digits" in body
