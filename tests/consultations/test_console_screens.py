"""What the facilitator's console and the printable cards show, as a person reads them in Arabic and French."""

import re

import pytest
from django.utils import translation

from consultations import joins, services
from consultations.models import AgeBand, Gender, ItemKind, JoinPolicy, Phase

from .conftest import to_phase

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_language_after():
    """A page requested in Arabic leaves Arabic active in this thread (LocaleMiddleware); the next test starts in the
    default language."""
    yield
    translation.deactivate()


def _console(client, session, language="en") -> str:
    url = f"/staff/{session.consultation.city.slug}/sessions/{session.join_code}/"
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def _cards_page(client, session, language="en") -> str:
    url = f"/staff/{session.consultation.city.slug}/sessions/{session.join_code}/cards/print/"
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


@pytest.fixture
def voted(live_session, facilitator):
    """Twelve people, six girls and six boys, voted on a challenge, three of them on another too; results shown."""
    people = [
        services.participant_join(
            code=live_session.join_code,
            consent=True,
            gender=Gender.FEMALE if k % 2 else Gender.MALE,
            age_band=AgeBand.AGE_18_24,
        )
        for k in range(12)
    ]
    to_phase(live_session, Phase.CHALLENGES, facilitator)
    items = []
    for text in ("Buses stop at eight", "No lights on the pitch"):
        item = services.item_submit(participant=people[0], kind=ItemKind.CHALLENGE, text=text)
        items.append(services.item_moderate(item=item, action="approve", actor=facilitator))
    to_phase(live_session, Phase.CHALLENGE_VOTING, facilitator)
    for k, person in enumerate(people):
        services.vote_cast(participant=person, item_id=items[0].pk)
        if k < 3:
            services.vote_cast(participant=person, item_id=items[1].pk)
    to_phase(live_session, Phase.RESULTS, facilitator)
    return live_session


def test_a_small_count_reads_less_than_five_on_an_arabic_console(voted, facilitator, client):
    # "<5" in a right-to-left table turned into "5>" (the sign mirrored, put after the figure): each count of the
    # breakdown is kept left to right.
    client.force_login(facilitator)
    page = _console(client, voted, "ar")
    tables = re.findall(r'<table class="table breakdown">.*?</table>', page, re.S)
    cells = [cell for table in tables for cell in re.findall(r'<td class="num">(.*?)</td>', table)]
    assert cells and all(re.fullmatch(r'<span dir="ltr">[^<]*</span>', cell) for cell in cells)
    assert '<span dir="ltr">&lt;5</span>' in page


def test_creating_cards_and_setting_ballots_aside_ask_first_in_the_reader_s_language(room_script, facilitator, client):
    session = room_script
    client.force_login(facilitator)
    for language in ("ar", "fr"):
        page = _console(client, session, language)
        with translation.override(language):
            create = translation.gettext(
                "Create these cards? Cards cannot be deleted: each one admits a participant until the session ends."
            )
            aside = translation.ngettext(
                "Set aside the ballots of %(n)s participant? They stop counting and cannot vote until you count "
                "them again.",
                "Set aside the ballots of %(n)s participants? They stop counting and cannot vote until you count "
                "them again.",
                6,
            ) % {"n": 6}
        assert "Create these cards" not in create and "Set aside" not in aside, language  # translated
        assert f'data-confirm="{create}"' in page
        assert f'data-confirm="{aside}"' in page
        assert "frontend/confirm.js" in page


@pytest.fixture
def room_script(live_session, facilitator):
    """Six participants from one address cast the same ballot."""
    author = services.participant_join(code=live_session.join_code, consent=True)
    to_phase(live_session, Phase.CHALLENGES, facilitator)
    item = services.item_submit(participant=author, kind=ItemKind.CHALLENGE, text="Libraries close early")
    services.item_moderate(item=item, action="approve", actor=facilitator)
    to_phase(live_session, Phase.CHALLENGE_VOTING, facilitator)
    for k in range(6):
        person = services.participant_join(
            code=live_session.join_code, consent=True, device=f"d-{k}", address="198.51.100.7"
        )
        services.vote_cast(participant=person, item_id=item.pk)
    return live_session


def test_a_cards_session_does_not_count_joins_without_a_device_id(live_session, facilitator, client):
    # Under the cards policy the card is the person and no device id is kept: "6 without a device id" would read
    # like a script.
    session = services.session_configure(session=live_session, actor=facilitator, join_policy=JoinPolicy.CARDS)
    cards = joins.cards_create(session=session, count=6, actor=facilitator)
    to_phase(session, Phase.CHALLENGES, facilitator)
    people = [
        services.participant_join(code=session.join_code, consent=True, card=card.code, address="198.51.100.7")
        for card in cards
    ]
    item = services.item_submit(participant=people[0], kind=ItemKind.CHALLENGE, text="Parks close early")
    services.item_moderate(item=item, action="approve", actor=facilitator)
    to_phase(session, Phase.CHALLENGE_VOTING, facilitator)
    for person in people:
        services.vote_cast(participant=person, item_id=item.pk)
    client.force_login(facilitator)
    page = _console(client, session, "fr")
    assert "6 accès, jusqu'à 6 en 10 secondes" in page
    assert "sans identifiant d'appareil" not in page


def test_used_cards_are_not_printed_and_the_page_says_so(live_session, facilitator, client):
    session = services.session_configure(session=live_session, actor=facilitator, join_policy=JoinPolicy.CARDS)
    cards = joins.cards_create(session=session, count=3, actor=facilitator)
    services.participant_join(code=session.join_code, consent=True, card=cards[0].code)
    client.force_login(facilitator)
    page = _cards_page(client, session, "fr")
    used = re.search(r'<section class="join-card([^"]*)">(?:(?!</section>).)*' + cards[0].code, page, re.S)
    assert used and "no-print" in used.group(1).split()
    for card in cards[1:]:
        fresh = re.search(r'<section class="join-card([^"]*)">(?:(?!</section>).)*' + card.code, page, re.S)
        assert fresh and "no-print" not in fresh.group(1).split()
    assert "1 carte déjà utilisée est grisée et ne sera pas imprimée." in page
    assert "<html" in page and 'dir="rtl"' in _cards_page(client, session, "ar")


def test_the_print_button_counts_the_cards_left_to_print(live_session, facilitator, client):
    session = services.session_configure(session=live_session, actor=facilitator, join_policy=JoinPolicy.CARDS)
    cards = joins.cards_create(session=session, count=3, actor=facilitator)
    services.participant_join(code=session.join_code, consent=True, card=cards[0].code)
    client.force_login(facilitator)
    page = _console(client, session, "fr")
    assert "Imprimer 2 cartes" in page and "Imprimer 3 cartes" not in page


def test_the_console_results_state_the_join_policy_and_the_ballots_set_aside(room_script, facilitator, client):
    session = room_script
    cluster = joins.join_clusters(session)[0]
    joins.participants_set_aside(
        session=session, participant_ids=cluster["identical_ballots"][0]["participants"], actor=facilitator
    )
    session = services.session_configure(session=session, actor=facilitator, join_policy=JoinPolicy.CARDS)
    (card,) = joins.cards_create(session=session, count=1, actor=facilitator)
    services.participant_join(code=session.join_code, consent=True, card=card.code)
    client.force_login(facilitator)
    page = _console(client, session, "fr")
    stated = re.search(r'<p id="results-join">(.*?)</p>', page, re.S).group(1)
    assert "Mode d'accès : Cartes imprimées à usage unique." in stated
    assert "Admis selon chaque mode :" in stated
    assert "Cartes imprimées à usage unique (1) · Lien ouvert : un participant par navigateur (7)." in stated
    assert "6 participants" in stated
