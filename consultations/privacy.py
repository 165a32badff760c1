"""Retention of participants' data (docs/privacy.md).

Participants are anonymous, but their profile answers (age band, gender, district, organisation, language) and
the link between what they wrote and how they voted are personal data about often young people. They are kept
for settings.MAJLIS_PARTICIPANT_RETENTION_MONTHS after a session (the consent page says so); then only totals
remain.

What a purge does to each session that ended before the cut-off:
- every Participant row of the session loses its profile answers (age band, gender, district, organisation and
  language become blank) and the keyed hashes of its device id and address; the row itself stays, so that its
  ballots, the tallies and the one-ballot-per-item constraint stay intact, and a council Candidate who came from
  that session keeps its (null-safe) link;
- every item of the session loses its author link, so that a text can no longer be tied to a voter;
- item texts, ballots and their points, moderation states and the session itself are kept: results and
  rankings read the same as before, breakdowns by group show nothing any more;
- one audit entry per session purged ("session.participants_purge", actor: none), with the counts.
A session "ended" at the latest of its creation, planned end and publication. A purge is idempotent: a session
with nothing left to strip is skipped and gets no new audit entry.
"""

from dataclasses import dataclass, field
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from cities.services import audit_record

from .models import Item, Participant, Session

PROFILE_CLEARED = {
    "age_band": "",
    "gender": "",
    "district": None,
    "organisation": "",
    "language": "",
    "device_key": "",
    "origin_key": "",  # keyed hashes of the join's device id and address (consultations/joins.py)
}
AUDIT_ACTION = "session.participants_purge"


@dataclass
class PurgeReport:
    cutoff: datetime
    sessions: list[int] = field(default_factory=list)  # ids of the sessions purged (or to purge, in a dry run)
    participants: int = 0  # participant rows whose profile was (or would be) cleared
    items: int = 0  # items whose author link was (or would be) removed


def retention_cutoff(*, now: datetime) -> datetime:
    return now - relativedelta(months=int(settings.MAJLIS_PARTICIPANT_RETENTION_MONTHS))


def _has_profile() -> Q:
    return (
        ~Q(age_band="")
        | ~Q(gender="")
        | Q(district__isnull=False)
        | ~Q(organisation="")
        | ~Q(language="")
        | ~Q(device_key="")
        | ~Q(origin_key="")
    )


def expired_sessions(*, now: datetime):
    """Sessions that ended before the retention cut-off (created, planned to end and published before it)."""
    cutoff = retention_cutoff(now=now)
    return (
        Session.objects.filter(created_at__lt=cutoff)
        .exclude(ends_at__gte=cutoff)
        .exclude(published_at__gte=cutoff)
        .select_related("consultation__city")
        .order_by("pk")
    )


@transaction.atomic
def participants_purge_expired(*, now: datetime, dry_run: bool = False) -> PurgeReport:
    """Clear the profile answers and authorship of participants of sessions past the retention period.

    Contract: see the module docstring. With dry_run, nothing is written and the report says what would be.
    Atomic: either every expired session is purged or none is. Raises nothing of its own.
    """
    report = PurgeReport(cutoff=retention_cutoff(now=now))
    for session in expired_sessions(now=now):
        people = Participant.objects.filter(session=session).filter(_has_profile())
        authored = Item.objects.filter(session=session, author__isnull=False)
        n_people, n_items = people.count(), authored.count()
        if not (n_people or n_items):
            continue
        report.sessions.append(session.pk)
        report.participants += n_people
        report.items += n_items
        if dry_run:
            continue
        people.update(**PROFILE_CLEARED)
        authored.update(author=None)
        audit_record(
            actor=None,
            action=AUDIT_ACTION,
            target=session,
            city=session.consultation.city,
            data={
                "participants": n_people,
                "items": n_items,
                "retention_months": int(settings.MAJLIS_PARTICIPANT_RETENTION_MONTHS),
            },
        )
    return report
