"""The console's moderation without script: each item listed once, many approved or hidden with one form, a merge
undone with one button, points named as points under dot voting."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from cities.models import AuditEntry
from consultations import services
from consultations.models import Item, ItemMerge, ItemStatus, Phase


@pytest.fixture
def session(city_a, facilitator):
    consultation = services.consultation_create(
        city=city_a, title="Fes", created_by=facilitator, participants_may_be_minors=True
    )
    return services.session_create(consultation=consultation, title="Evening", created_by=facilitator)


def _items(session, texts):
    author = services.participant_join(code=session.join_code, consent=True)
    services.session_set_phase(session=session, phase=Phase.CHALLENGES, actor=None)
    return [services.item_submit(participant=author, kind="challenge", text=text) for text in texts]


def _client(user, language="en"):
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    client.cookies["majlis_language"] = language
    return client


def _url(session, action=None):
    slug = session.consultation.city.slug
    if action is None:
        return reverse("frontend:session_console", args=[slug, session.join_code])
    return reverse("frontend:session_action", args=[slug, session.join_code, action])


def test_each_item_is_listed_once_pending_in_the_queue_and_the_others_in_the_table(session, facilitator):
    pending, approved, hidden = _items(session, ["Buses at night", "A youth centre", "Rude words here"])
    services.items_moderate(session=session, item_ids=[approved.pk], action="approve", actor=facilitator)
    services.items_moderate(session=session, item_ids=[hidden.pk], action="hide", reason="hurtful", actor=facilitator)
    html = _client(facilitator).get(_url(session)).content.decode()
    for item in (pending, approved, hidden):
        assert html.count(f'id="item-{item.pk}"') == 1
    queue = html.split('id="queue"')[1].split('id="items-title"')[0]
    assert f'id="item-{pending.pk}"' in queue and f'id="item-{approved.pk}"' not in queue


def test_the_form_hides_many_items_with_a_reason_in_each_audit_record(session, facilitator):
    items = _items(session, ["One idea here", "Two ideas here", "Three ideas here"])
    client = _client(facilitator)
    response = client.post(
        _url(session, "moderate_many"),
        {"items": [items[0].pk, items[1].pk], "do": "hide", "reason": "personal", "note": ""},
    )
    assert response.status_code == 302
    assert list(Item.objects.order_by("pk").values_list("status", flat=True)) == ["hidden", "hidden", "pending"]
    assert list(AuditEntry.objects.filter(action="item.hide").values_list("data__reason", flat=True)) == [
        "personal",
        "personal",
    ]


def test_hiding_without_a_reason_says_why_in_the_readers_language_and_changes_nothing(session, facilitator):
    items = _items(session, ["One idea here", "Two ideas here"])
    client = _client(facilitator, "fr")
    response = client.post(
        _url(session, "moderate_many"), {"items": [it.pk for it in items], "do": "hide", "reason": ""}, follow=True
    )
    assert "Choisissez pourquoi ces éléments sont masqués." in response.content.decode()
    assert set(Item.objects.values_list("status", flat=True)) == {"pending"}


def test_a_merge_is_undone_from_the_console(session, facilitator):
    items = _items(session, ["Buses at night please", "buses at night please!"])
    client = _client(facilitator)
    client.post(_url(session, "merge"), {"item": items[1].pk, "into": items[0].pk})
    merge = ItemMerge.objects.get()
    html = client.get(_url(session)).content.decode()
    assert re.search(rf'name="merge" value="{merge.pk}"', html)  # the undo button of the recent merge
    client.post(_url(session, "undo"), {"merge": merge.pk})
    assert Item.objects.get(pk=items[1].pk).status == ItemStatus.PENDING
    assert ItemMerge.objects.get().undone_by == facilitator
    assert client.post(_url(session, "undo"), {"merge": "x1"}).status_code == 404


def test_another_citys_staff_cannot_moderate_or_undo(session, facilitator, charlie):
    items = _items(session, ["Buses at night please", "buses at night please!"])
    services.items_merge(source=items[1], target=items[0], actor=facilitator)
    client = _client(charlie)
    body = {"items": [items[0].pk], "do": "approve"}
    assert client.post(_url(session, "moderate_many"), body).status_code == 404
    assert client.post(_url(session, "undo"), {"merge": ItemMerge.objects.get().pk}).status_code == 404
    assert Item.objects.get(pk=items[0].pk).status == ItemStatus.PENDING
    assert ItemMerge.objects.get().undone_at is None


def test_dot_voting_counts_points_and_approval_votes_in_the_table(session, facilitator):
    services.session_configure(session=session, actor=facilitator, challenge_voting_method="dot")
    items = _items(session, ["Buses at night", "A youth centre"])
    services.items_moderate(session=session, item_ids=[it.pk for it in items], action="approve", actor=facilitator)
    table = _client(facilitator, "ar").get(_url(session)).content.decode().split('id="items"')[1]
    assert '<th scope="col" class="num">النقاط</th>' in table
    services.session_configure(session=session, actor=facilitator, challenge_voting_method="approval")
    table = _client(facilitator, "ar").get(_url(session)).content.decode().split('id="items"')[1]
    assert "النقاط</th>" not in table.split("</thead>")[0]
