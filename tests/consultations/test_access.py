"""The access helpers of live sessions (consultations/permissions.py), role by role: facilitators and
administrators of the city get the object; every other role, the outsider and anonymous visitors get 404, as for
an object that does not exist."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from consultations import services
from consultations.permissions import (
    city_for_facilitator,
    consultation_for_facilitator,
    session_for_facilitator,
    session_item,
)
from tests.factories import ItemFactory

from .conftest import Phase, join, to_phase

pytestmark = pytest.mark.django_db

ALLOWED = ("facilitator", "city_admin")
REFUSED = ("analyst", "secretariat", "charlie", "anonymous")


@pytest.fixture
def person(request):
    if request.param == "anonymous":
        return AnonymousUser()
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("person", ALLOWED, indirect=True)
def test_facilitators_and_administrators_get_the_session_by_current_or_retired_code(live_session, person):
    old_code = live_session.join_code
    assert session_for_facilitator(person, old_code.lower()) == live_session
    assert session_for_facilitator(person, old_code, city_slug="fes") == live_session
    rotated = services.session_rotate_code(session=live_session, actor=None)
    assert session_for_facilitator(person, old_code) == rotated
    assert session_for_facilitator(person, rotated.join_code) == rotated


@pytest.mark.parametrize("person", REFUSED, indirect=True)
def test_every_other_role_is_told_the_session_does_not_exist(live_session, person):
    with pytest.raises(Http404):
        session_for_facilitator(person, live_session.join_code)


def test_a_session_is_not_found_under_another_city_or_an_unknown_code(live_session, facilitator, city_b):
    with pytest.raises(Http404):
        session_for_facilitator(facilitator, live_session.join_code, city_slug=city_b.slug)
    with pytest.raises(Http404):
        session_for_facilitator(facilitator, "ZZZZZZ")


@pytest.mark.parametrize("person", ALLOWED, indirect=True)
def test_facilitators_and_administrators_get_the_consultation_and_the_city(consultation, person):
    assert consultation_for_facilitator(person, consultation.pk) == consultation
    assert consultation_for_facilitator(person, str(consultation.pk), city_slug="fes") == consultation
    assert city_for_facilitator(person, "fes") == consultation.city


@pytest.mark.parametrize("person", REFUSED, indirect=True)
def test_every_other_role_is_told_the_consultation_and_the_city_do_not_exist(consultation, person):
    with pytest.raises(Http404):
        consultation_for_facilitator(person, consultation.pk)
    with pytest.raises(Http404):
        city_for_facilitator(person, "fes")


@pytest.mark.parametrize("pk", [0, "abc", None, "1; DROP TABLE"])
def test_a_missing_or_malformed_consultation_id_is_not_found(consultation, facilitator, pk):
    with pytest.raises(Http404):
        consultation_for_facilitator(facilitator, pk)


def test_a_consultation_is_not_found_under_another_city(consultation, facilitator, city_b):
    with pytest.raises(Http404):
        consultation_for_facilitator(facilitator, consultation.pk, city_slug=city_b.slug)


def test_session_item_finds_only_items_of_that_session(live_session, consultation, facilitator):
    to_phase(live_session, Phase.CHALLENGES)
    item = services.item_submit(participant=join(live_session), kind="challenge", text="Buses stop at eight")
    other = services.session_create(consultation=consultation, title="Session 2", created_by=facilitator)
    elsewhere = ItemFactory(session=other, kind="challenge", text="Another room's item")
    assert session_item(live_session, item.pk) == item
    assert session_item(live_session, str(item.pk)) == item
    for pk in (elsewhere.pk, None, "", "abc"):
        with pytest.raises(Http404):
            session_item(live_session, pk)
