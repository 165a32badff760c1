"""Erasure reaches free texts: a person's name, phone number and e-mail address typed into reasons, history,
meeting minutes and audit entries are replaced with "[erased]" (councils.services.person_erase)."""

import datetime
import json

import pytest
from django.utils import timezone

from cities.models import AuditEntry
from councils import services
from councils.models import Committee, Election, Meeting, Membership, MembershipChange

from .factories import add_member

pytestmark = pytest.mark.django_db

NAME, PHONE, EMAIL = "Salma Alaoui", "+212 600 000 001", "salma.alaoui@example.org"


@pytest.fixture
def salma(term, secretariat):
    return add_member(term, secretariat, full_name=NAME, phone=PHONE, email=EMAIL)


def _everything_stored() -> str:
    """Every free text of the council records and the audit log, as one string."""
    texts = [
        *MembershipChange.objects.values_list("reason", flat=True),
        *(json.dumps(c, ensure_ascii=False) for c in MembershipChange.objects.values_list("changes", flat=True)),
        *Membership.objects.values_list("end_reason", flat=True),
        *(json.dumps(d, ensure_ascii=False) for d in AuditEntry.objects.values_list("data", flat=True)),
    ]
    for meeting in Meeting.objects.all():
        texts += [meeting.title, meeting.place, meeting.agenda, meeting.minutes]
    texts += Committee.objects.values_list("description", flat=True)
    texts += Election.objects.values_list("title", flat=True)
    return "\n".join(texts)


def test_a_name_embedded_in_a_reason_is_erased(salma, members, council, secretariat):
    services.membership_end(
        membership=salma,
        actor=secretariat,
        reason=f"Salma moved to Rabat. {NAME} can be reached on 0600000001 or {EMAIL.upper()}.",
    )
    services.membership_end(membership=members[0], actor=secretariat, reason=f"Handed the seat to {NAME.upper()}")
    meeting = services.meeting_schedule(
        council=council, title="Plenary", scheduled_at=timezone.now(), actor=secretariat
    )
    services.meeting_update(
        meeting=meeting, actor=secretariat, minutes=f"{NAME} ({PHONE}) presented the budget. Salma Benali agreed."
    )
    services.committee_create(council=council, name="Culture", actor=secretariat, description=f"Chaired by {NAME}")
    services.election_create(
        council=council,
        term=salma.term,
        title=f"Successor of {NAME}",
        role="president",
        candidates=members[2:4],
        actor=secretariat,
    )
    assert NAME in _everything_stored()

    services.person_erase(person=salma.person, actor=secretariat, reason=f"Written request of {NAME}, 2026-11-01")

    stored = _everything_stored()
    for trace in (NAME, "Salma moved", "Alaoui", "600000001", "600 000 001", EMAIL, EMAIL.upper(), NAME.upper()):
        assert trace not in stored, trace
    assert "[erased] moved to Rabat. [erased] can be reached on [erased] or [erased]." in stored
    assert "Handed the seat to [erased]" in stored
    assert "[erased] ([erased]) presented the budget." in stored
    assert "Chaired by [erased]" in stored and "Successor of [erased]" in stored
    # Another person who shares a first name is not erased from a text that is not about Salma.
    assert "Salma Benali agreed." in stored
    erasure = AuditEntry.objects.get(action="person.erase")
    assert erasure.data["reason"] == "Written request of [erased], 2026-11-01"


def test_texts_without_the_person_are_left_alone(salma, members, secretariat):
    services.membership_end(membership=members[1], actor=secretariat, reason="Moved abroad in 2026-09")
    before = {c.pk: (c.reason, c.changes) for c in MembershipChange.objects.all()}
    services.person_erase(person=salma.person, actor=secretariat, reason="Request of 2026-11-01")
    after = {c.pk: (c.reason, c.changes) for c in MembershipChange.objects.filter(pk__in=before)}
    unchanged = {pk for pk in before if before[pk] == after[pk]}
    assert {c.pk for c in MembershipChange.objects.filter(membership=members[1])} <= unchanged


def test_an_erased_name_does_not_come_back_in_the_texts_of_a_replayed_erasure(salma, secretariat):
    """The replay after a restore (manage.py erasures_replay) calls the same service, so the texts of a restored
    database are scrubbed again."""
    services.membership_end(
        membership=salma, actor=secretariat, reason=f"{NAME} resigned", ends_on=datetime.date(2026, 6, 1)
    )
    services.person_erase(person=salma.person, actor=None, reason="Erasure re-applied after a restore")
    assert NAME not in _everything_stored()
