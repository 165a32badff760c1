"""The election page as the secretariat reads it in Arabic and French: addresses, incidents, closing."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from councils import services
from councils.errors import NotCheckedIn

from .conftest import ballot_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_language_after():
    """A page requested in Arabic leaves Arabic active in this thread (LocaleMiddleware); the next test starts in the
    default language."""
    yield
    translation.deactivate()


@pytest.fixture
def election(open_election, members):
    election = open_election
    code = ballot_code(election, members[2])
    with pytest.raises(NotCheckedIn):  # an incident for the page to list
        services.ballot_cast(code=code, choice=members[0])
    return election


def _page(client, election, language):
    url = reverse("frontend:council_election", args=["fes", election.pk])
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_addresses_keep_their_order_on_an_arabic_page(election, secretariat_client):
    # On a right-to-left page "http://host/e/" showed as "/http://host/e": the addresses are isolated left to right.
    page = _page(secretariat_client, election, "ar")
    assert re.search(r'<span dir="ltr">http://testserver/e/</span>', page)
    assert re.search(r'<p class="muted register-url"><bdi dir="ltr">http://testserver/e/register/[^<]+</bdi></p>', page)


def test_the_incidents_table_scrolls_inside_the_page_on_a_phone(election, secretariat_client):
    page = _page(secretariat_client, election, "fr")
    incidents = page.split('id="incidents-title"', 1)[1]
    assert re.search(r'<div class="table-scroll" tabindex="0"><table class="table">', incidents)


def test_closing_the_vote_asks_first_in_the_reader_s_language(election, secretariat_client):
    for language in ("ar", "fr"):
        with translation.override(language):
            question = translation.gettext(
                "Close voting and count now? Members who have not voted will not be able to, and this cannot be undone."
            )
        assert not question.startswith("Close voting"), language
        page = _page(secretariat_client, election, language)
        form = re.search(r'<form method="post" data-confirm="([^"]*)">(?:(?!</form>).)*value="close"', page, re.S)
        assert form and form.group(1) == question  # translations are trusted text (Django marks them safe)
        assert "frontend/confirm.js" in page


@pytest.mark.parametrize(("language", "label"), [("fr", "Votre code de vote"), ("ar", "رمز التصويت الخاص بك")])
def test_the_ballot_page_asks_for_the_ballot_code_not_the_member_code(client, language, label):
    # Members hold two codes now: the member code checks them in, the slip's code votes. The ballot page asked for
    # "your member code", and a member who typed it was told the code is unknown.
    page = client.get(reverse("frontend:council_vote_lookup"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    with translation.override(language):
        member_code = translation.gettext("Your member code")
    assert label in page
    assert member_code not in page


def test_the_open_register_follows_the_vote_without_a_timed_reload(election, client):
    # A timed reload (meta refresh) sent a screen reader or a phone's reader back to the top every 15 seconds: with
    # JavaScript the register replaces its content in place; the meta refresh is left for browsers without it.
    from frontend.views.councils import register_token

    page = client.get(reverse("frontend:council_election_register", args=[register_token(election)])).content.decode()
    head = page.split("</head>", 1)[0]
    assert '<noscript><meta http-equiv="refresh" content="15"></noscript>' in head
    assert head.count('http-equiv="refresh"') == 1
    assert "frontend/register-refresh.js" in page and "data-register" in page
