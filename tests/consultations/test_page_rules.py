"""What the console and the participant page offer comes from the domain, which the services enforce: an item's
moderation actions (Item.moderation_actions, the only actions services.item_moderate carries out), the voting
rules of a kind (selectors.voting_rules) and when the youth council is offered (Session.reached_results)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from cities.models import AuditEntry
from consultations import selectors, services
from consultations.errors import InvalidInput
from consultations.models import MODERATION_RESULTS, Item, ItemStatus, Phase, Session, VotingMethod, moderation_actions
from consultations.tokens import browser_remember
from tests.factories import ItemFactory

from .conftest import join, to_phase

pytestmark = pytest.mark.django_db

LIVE_STATUSES = (ItemStatus.PENDING, ItemStatus.APPROVED, ItemStatus.HIDDEN)


# --- Moderation -------------------------------------------------------------------------------------------


def test_each_status_offers_the_actions_that_change_it_and_a_merged_item_none():
    assert moderation_actions(ItemStatus.PENDING) == ("approve", "hide")
    assert moderation_actions(ItemStatus.APPROVED) == ("hide",)
    assert moderation_actions(ItemStatus.HIDDEN) == ("approve",)
    assert moderation_actions(ItemStatus.MERGED) == ()
    assert ItemFactory.build(status=ItemStatus.HIDDEN).moderation_actions == ("approve",)


@pytest.mark.parametrize("status", LIVE_STATUSES)
def test_every_action_an_item_offers_is_carried_out_and_audited(live_session, facilitator, status):
    for action in moderation_actions(status):
        item = ItemFactory(session=live_session, status=status)
        version = Session.objects.get(pk=live_session.pk).version
        moderated = services.item_moderate(item=item, action=action, actor=facilitator)
        assert moderated.status == MODERATION_RESULTS[action]
        assert AuditEntry.objects.filter(action=f"item.{action}", target_id=str(item.pk)).count() == 1
        assert Session.objects.get(pk=live_session.pk).version > version


@pytest.mark.parametrize("status", LIVE_STATUSES)
def test_an_action_the_item_does_not_offer_changes_nothing(live_session, facilitator, status):
    # The console never offers it; an API client's retry of an approval answers as the first one did.
    for action in set(MODERATION_RESULTS) - set(moderation_actions(status)):
        item = ItemFactory(session=live_session, status=status)
        version = Session.objects.get(pk=live_session.pk).version
        assert services.item_moderate(item=item, action=action, actor=facilitator).status == status
        assert not AuditEntry.objects.filter(action__startswith="item.", target_id=str(item.pk)).exists()
        assert Session.objects.get(pk=live_session.pk).version == version


def test_an_unknown_action_and_a_merged_item_are_refused(live_session, facilitator):
    item = ItemFactory(session=live_session, status=ItemStatus.PENDING)
    with pytest.raises(InvalidInput):
        services.item_moderate(item=item, action="delete", actor=facilitator)
    merged = ItemFactory(session=live_session, status=ItemStatus.MERGED, merged_into=item)
    for action in MODERATION_RESULTS:
        with pytest.raises(InvalidInput):
            services.item_moderate(item=merged, action=action, actor=facilitator)
    assert Item.objects.get(pk=merged.pk).status == ItemStatus.MERGED


def test_the_console_offers_each_item_exactly_its_moderation_actions(live_session, facilitator):
    items = [ItemFactory(session=live_session, status=status) for status in LIVE_STATUSES]
    merged = ItemFactory(session=live_session, status=ItemStatus.MERGED, merged_into=items[1])
    client = Client()
    client.force_login(facilitator)
    html = client.get(reverse("frontend:session_console", args=["fes", live_session.join_code])).content.decode()
    offered: dict[int, set[str]] = {}
    for item_id, action in re.findall(r'name="item" value="(\d+)"><input type="hidden" name="do" value="(\w+)"', html):
        offered.setdefault(int(item_id), set()).add(action)
    assert offered == {item.pk: set(item.moderation_actions) for item in items}
    assert merged.pk not in offered


# --- Voting rules -----------------------------------------------------------------------------------------


@pytest.fixture
def mixed_session(consultation, facilitator):
    """Approval voting on challenges, dot voting (7 points, at most 2 on one item) on proposals."""
    return services.session_create(
        consultation=consultation,
        title="Mixed",
        created_by=facilitator,
        premoderation=False,
        proposal_voting_method=VotingMethod.DOT,
        dot_points=7,
        dot_max_per_item=2,
    )


def test_voting_rules_say_the_method_the_points_and_the_most_on_one_item(mixed_session):
    approval = {"method": VotingMethod.APPROVAL, "points": None, "max_per_item": 1}
    dot = {"method": VotingMethod.DOT, "points": 7, "max_per_item": 2}
    assert selectors.voting_rules(mixed_session, "challenge") == approval
    assert selectors.voting_rules(mixed_session, "proposal") == dot
    state = selectors.session_state(mixed_session, audience=selectors.PUBLIC)
    assert state["voting"] == {"challenge": approval, "proposal": dot}


def test_points_left_are_counted_from_the_kind_s_points(mixed_session):
    to_phase(mixed_session, Phase.PROPOSALS)
    author = join(mixed_session)
    item = services.item_submit(participant=author, kind="proposal", text="Open the library on Sundays")
    to_phase(mixed_session, Phase.PROPOSAL_VOTING)
    services.vote_cast(participant=author, item_id=item.pk, points=2)
    assert selectors.participant_view(author)["points_left"] == {"challenge": None, "proposal": 5}


def _participant_browser(session) -> Client:
    client = Client()
    django_session = client.session
    browser_remember(django_session, join(session))
    django_session.save()
    return client


def _participant_page(session, client: Client | None = None) -> str:
    client = client or _participant_browser(session)
    return client.get(reverse("frontend:participant", args=[session.join_code])).content.decode()


def test_the_participant_page_shows_the_voting_rules_the_selector_gives(mixed_session):
    to_phase(mixed_session, Phase.PROPOSALS)
    services.item_submit(participant=join(mixed_session), kind="proposal", text="Open the library on Sundays")
    to_phase(mixed_session, Phase.PROPOSAL_VOTING)
    html = _participant_page(mixed_session)
    assert 'data-voting-method="dot" data-max-per-item="2" data-points="7"' in html
    assert re.search(r'name="points" min="0" max="2"', html)
    assert re.search(r'id="points-left">7</strong> / 7', html)
    to_phase(mixed_session, Phase.CHALLENGE_VOTING)
    html = _participant_page(mixed_session)
    assert 'data-voting-method="approval" data-max-per-item="1" data-points=""' in html
    assert 'name="points"' not in html


# --- The youth council -------------------------------------------------------------------------------------


def test_a_session_reaches_its_results_in_the_results_phase_and_once_closed(live_session):
    reached = {phase: Session(phase=phase).reached_results for phase in Phase.values}
    assert reached == {phase: phase in (Phase.RESULTS, Phase.CLOSED) for phase in Phase.values}


def test_the_participant_page_offers_the_council_once_the_session_reached_its_results(live_session):
    opt_in = reverse("frontend:council_opt_in", args=[live_session.join_code])
    browser = _participant_browser(live_session)
    for phase in live_session.phases:
        to_phase(live_session, phase)
        live_session.refresh_from_db()
        assert (opt_in in _participant_page(live_session, browser)) == live_session.reached_results, phase
