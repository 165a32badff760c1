"""Reads of council records that join or aggregate: the roster, composition against targets, attendance rates,
candidates with their participation, a member's record and a person's data export, an election's register."""

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cities.models import City
from consultations.models import AgeBand, Ballot, Gender, Item

from .models import (
    SEATED_STATUSES,
    Attendance,
    AttendanceMethod,
    Candidate,
    CandidateStatus,
    Council,
    Election,
    ElectionStatus,
    Meeting,
    MemberRole,
    Membership,
    MembershipChange,
    MembershipStatus,
    Person,
    SelectionMethod,
    Term,
    age_on,
)

ENDING_SOON_DAYS = 90


def councils_for_listing(cities: Iterable[City]) -> QuerySet[Council]:
    """Councils of the given cities with the number of seated members of their current terms."""
    today = timezone.localdate()
    return (
        Council.objects.filter(city__in=cities)
        .select_related("city")
        .annotate(
            members_count=Count(
                "terms__memberships",
                filter=Q(
                    terms__memberships__status__in=SEATED_STATUSES,
                    terms__starts_on__lte=today,
                    terms__ends_on__gte=today,
                ),
            )
        )
        .order_by("city__slug")
    )


def roster(
    term: Term,
    *,
    status: str = "",
    role: str = "",
    district: str | int = "",
    gender: str = "",
    committee: str | int = "",
    q: str = "",
) -> QuerySet[Membership]:
    """Memberships of term, filtered. Default: seated members (active and suspended); status "all" for every one."""
    qs = (
        Membership.objects.filter(term=term).select_related("person", "person__district").prefetch_related("committees")
    )
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(status__in=SEATED_STATUSES)
    if role:
        qs = qs.filter(role=role)
    if district:
        qs = qs.filter(person__district_id=district)
    if gender:
        qs = qs.filter(person__gender=gender)
    if committee:
        qs = qs.filter(committees__id=committee)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(person__full_name__icontains=q)
            | Q(person__phone__icontains=q)
            | Q(person__email__icontains=q)
            | Q(person__organisation__icontains=q)
            | Q(member_code__iexact=q)
        )
    return qs.distinct().order_by("person__full_name", "id")


@dataclass
class Rate:
    attended: int = 0
    held: int = 0

    @property
    def percent(self) -> int | None:
        return round(100 * self.attended / self.held) if self.held else None


def attendance_rates(memberships: Iterable[Membership]) -> dict[int, Rate]:
    """For each membership: meetings held during its seat (up to now) and how many it attended."""
    memberships = list(memberships)
    if not memberships:
        return {}
    council_ids = {m.term.council_id for m in memberships}
    now = timezone.now()
    meetings = list(
        Meeting.objects.filter(council_id__in=council_ids, scheduled_at__lte=now).values(
            "id", "council_id", "scheduled_at"
        )
    )
    attended = Counter(Attendance.objects.filter(membership__in=memberships).values_list("membership_id", flat=True))
    rates = {}
    for m in memberships:
        end = m.ends_on or timezone.localdate()
        held = sum(
            1
            for meeting in meetings
            if meeting["council_id"] == m.term.council_id
            and m.starts_on <= timezone.localtime(meeting["scheduled_at"]).date() <= end
        )
        rates[m.pk] = Rate(attended=attended.get(m.pk, 0), held=max(held, attended.get(m.pk, 0)))
    return rates


@dataclass
class Composition:
    seats: int
    seated: int
    vacancies: int
    gender: list[dict] = field(default_factory=list)
    age_bands: list[dict] = field(default_factory=list)
    districts: list[dict] = field(default_factory=list)
    outside_age_range: int = 0
    flags: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.flags


def composition(council: Council, term: Term | None) -> Composition:
    """The seated members of term against the council's targets: gender balance, age range, seats per district.
    Each imbalance is a flag (a sentence the page shows)."""
    members = (
        list(Membership.objects.filter(term=term, status__in=SEATED_STATUSES).select_related("person"))
        if term is not None
        else []
    )
    seated = len(members)
    result = Composition(seats=council.seat_count, seated=seated, vacancies=max(council.seat_count - seated, 0))
    genders = Counter(m.person.gender or Gender.UNSAID for m in members)
    for value, label in Gender.choices:
        count = genders.get(value, 0)
        result.gender.append(
            {"value": value, "label": label, "count": count, "percent": round(100 * count / seated) if seated else 0}
        )
    if seated:
        for value in (Gender.FEMALE, Gender.MALE):
            share = 100 * genders.get(value, 0) / seated
            if share < council.gender_min_share:
                result.flags.append(
                    _("%(group)s hold %(share)d%% of seats, below the %(target)d%% target.")
                    % {
                        "group": _("Women") if value == Gender.FEMALE else _("Men"),
                        "share": round(share),
                        "target": council.gender_min_share,
                    }
                )
    today = timezone.localdate()
    bands: Counter[str] = Counter()
    for m in members:
        age = age_on(m.person.date_of_birth, today)
        bands[m.person.current_age_band or AgeBand.UNSAID] += 1
        if age is not None and not council.min_age <= age <= council.max_age:
            result.outside_age_range += 1
    for value, label in AgeBand.choices:
        if bands.get(value):
            result.age_bands.append({"value": value, "label": label, "count": bands[value]})
    if result.outside_age_range:
        result.flags.append(
            _("%(count)d member(s) are outside the age range %(min)d–%(max)d.")
            % {"count": result.outside_age_range, "min": council.min_age, "max": council.max_age}
        )
    by_district = Counter(m.person.district_id for m in members)
    targets = {t.district_id: t.seats for t in council.district_targets.all()}
    for district in council.city.districts.all():
        target = targets.get(district.pk)
        count = by_district.get(district.pk, 0)
        # While seats are vacant, a district is judged against its share of the seats filled so far.
        expected = math.floor(target * seated / council.seat_count) if target else None
        row = {"district": district, "count": count, "target": target, "expected": expected}
        result.districts.append(row)
        if target is None:
            continue
        if count > target:
            result.flags.append(
                _("%(district)s holds %(count)d seats, more than its %(target)d.")
                % {"district": district, "count": count, "target": target}
            )
        elif expected is not None and count < expected:
            result.flags.append(
                _(
                    "%(district)s has %(count)d members; its share of the seats filled is %(expected)d "
                    "(target %(target)d)."
                )
                % {"district": district, "count": count, "expected": expected, "target": target}
            )
    unknown = by_district.get(None, 0)
    if unknown:
        result.districts.append({"district": None, "count": unknown, "target": None, "expected": None})
    return result


def ending_soon(council: Council, *, days: int = ENDING_SOON_DAYS) -> dict:
    """Terms and seats that end within days."""
    today = timezone.localdate()
    horizon = today + timedelta(days=days)
    return {
        "days": days,
        "terms": list(council.terms.filter(ends_on__gte=today, ends_on__lte=horizon).order_by("ends_on")),
        "memberships": list(
            Membership.objects.filter(
                term__council=council, status__in=SEATED_STATUSES, ends_on__gte=today, ends_on__lte=horizon
            )
            .select_related("person", "term")
            .order_by("ends_on")
        ),
    }


def participation_for_participants(participant_ids: Iterable[int | None]) -> dict[str, int]:
    """Sessions attended and contributions (items authored, ballots cast) of a set of participants."""
    ids = [p for p in participant_ids if p]
    if not ids:
        return {"sessions": 0, "items": 0, "ballots": 0}
    from consultations.models import Participant

    return {
        "sessions": Participant.objects.filter(pk__in=ids).values("session_id").distinct().count(),
        "items": Item.objects.filter(author_id__in=ids).count(),
        "ballots": Ballot.objects.filter(participant_id__in=ids).count(),
    }


def _same_person_key(phone: str) -> str:
    return "".join(ch for ch in (phone or "") if ch.isdigit())[-9:]


def eligibility_problems(council: Council, candidate: Candidate) -> list[str]:
    """The council's published rules (age range, residence) this candidate does not meet."""
    problems = []
    if candidate.age is None:
        problems.append(_("Age not given"))
    elif not council.min_age <= candidate.age <= council.max_age:
        problems.append(
            _("Age %(age)d is outside %(min)d–%(max)d")
            % {"age": candidate.age, "min": council.min_age, "max": council.max_age}
        )
    if council.residence_required and candidate.district_id is None:
        problems.append(_("No district of residence in the city"))
    return problems


def candidates_with_participation(council: Council, *, status: str = CandidateStatus.NEW) -> list[dict]:
    """Candidates of council with participation summed over every opt-in with the same phone number, and the
    eligibility rules they do not meet."""
    all_candidates = list(
        Candidate.objects.filter(council=council).select_related("district", "session__consultation", "participant")
    )
    by_key: dict[str, list[int | None]] = {}
    for c in all_candidates:
        by_key.setdefault(_same_person_key(c.phone) or f"#{c.pk}", []).append(c.participant_id)
    rows = []
    for c in all_candidates:
        if status and c.status != status:
            continue
        participation = participation_for_participants(by_key.get(_same_person_key(c.phone) or f"#{c.pk}", []))
        rows.append({"candidate": c, "participation": participation, "problems": eligibility_problems(council, c)})
    return rows


ACTION_LABELS = {
    "create": gettext_lazy("Seat created"),
    "update": gettext_lazy("Record changed"),
    "role": gettext_lazy("Role changed"),
    "end": gettext_lazy("Membership ended"),
    "erase": gettext_lazy("Personal data erased"),
}
FIELD_LABELS = {
    "full_name": gettext_lazy("full name"),
    "phone": gettext_lazy("phone"),
    "email": gettext_lazy("e-mail address"),
    "date_of_birth": gettext_lazy("date of birth"),
    "age_band": gettext_lazy("age band"),
    "gender": gettext_lazy("gender"),
    "district": gettext_lazy("district"),
    "organisation": gettext_lazy("organisation"),
    "role": gettext_lazy("role"),
    "selection_method": gettext_lazy("how selected"),
    "starts_on": gettext_lazy("starts on"),
    "ends_on": gettext_lazy("ends on"),
    "status": gettext_lazy("status"),
    "committees": gettext_lazy("committees"),
    "guardian_consent": gettext_lazy("guardian consent"),
}
VALUE_CHOICES = {
    "role": MemberRole,
    "selection_method": SelectionMethod,
    "status": MembershipStatus,
    "gender": Gender,
    "age_band": AgeBand,
}


def _value_label(field: str, value: Any) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if value is True:
        return _("yes")
    choices = VALUE_CHOICES.get(field)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


def history_rows(changes: Iterable[MembershipChange]) -> list[dict]:
    """Membership changes as the member page shows them: translated action, field names and values."""
    return [
        {
            "change": change,
            "action": ACTION_LABELS.get(change.action, change.action),
            "items": [
                {
                    "field": FIELD_LABELS.get(field, field),
                    "old": _value_label(field, values[0]),
                    "new": _value_label(field, values[1]),
                }
                for field, values in change.changes.items()
                if isinstance(values, list) and len(values) == 2
            ],
        }
        for change in changes
    ]


def member_record(membership: Membership) -> dict:
    """Everything the member's page shows: the person, every seat they held, history, attendance, provenance
    and participation in consultations."""
    person = membership.person
    seats = list(person.memberships.select_related("term").prefetch_related("committees").order_by("-starts_on"))
    history = list(membership.changes.select_related("actor", "election").order_by("-at", "-id"))
    attendances = list(
        Attendance.objects.filter(membership__person=person)
        .select_related("meeting")
        .order_by("-meeting__scheduled_at")
    )
    candidate = Candidate.objects.filter(membership__person=person).first()
    participation = participation_for_participants([candidate.participant_id] if candidate else [])
    return {
        "person": person,
        "seats": seats,
        "history": history_rows(history),
        "attendances": attendances,
        "rates": attendance_rates(seats),
        "candidate": candidate,
        "participation": participation,
    }


def person_export(person: Person) -> dict:
    """A person's own data, as JSON-ready data (a data-subject access request)."""
    return {
        "person": {
            "full_name": person.full_name,
            "phone": person.phone,
            "email": person.email,
            "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
            "age_band": person.current_age_band,
            "gender": person.gender,
            "district": person.district.name if person.district else None,
            "organisation": person.organisation,
            "city": person.city.slug,
            "erased_at": person.erased_at.isoformat() if person.erased_at else None,
        },
        "memberships": [
            {
                "council": m.term.council.name,
                "term": m.term.name,
                "role": m.role,
                "status": m.status,
                "selection_method": m.selection_method,
                "starts_on": m.starts_on.isoformat(),
                "ends_on": m.ends_on.isoformat() if m.ends_on else None,
                "end_reason": m.end_reason,
                "committees": sorted(c.name for c in m.committees.all()),
                "came_from_session": m.source_session.title if m.source_session else None,
                "guardian_consent_at": m.guardian_consent_at.isoformat() if m.guardian_consent_at else None,
                "attendance": [
                    {"meeting": a.meeting.title, "date": a.meeting.scheduled_at.isoformat(), "method": a.method}
                    for a in m.attendances.select_related("meeting").order_by("meeting__scheduled_at")
                ],
                "history": [
                    {"at": c.at.isoformat(), "action": c.action, "reason": c.reason, "changes": c.changes}
                    for c in m.changes.order_by("at", "id")
                ],
            }
            for m in person.memberships.select_related("term__council", "source_session").order_by("starts_on")
        ],
        "candidacies": [
            {
                "name": c.name,
                "phone": c.phone,
                "email": c.email,
                "age": c.age,
                "consented_at": c.consented_at.isoformat(),
            }
            for c in Candidate.objects.filter(membership__person=person)
        ],
    }


def member_statuses() -> list[tuple[str, str | Promise]]:
    return [("", _("Seated (active and suspended)")), *MembershipStatus.choices, ("all", _("All"))]


@dataclass
class RegisterLine:
    name: str
    voted: bool
    present: bool | None  # None: the election has no meeting
    present_by_secretariat: bool = False


@dataclass
class ElectionRegister:
    """Who may vote, who is checked in to the election's meeting and who has voted — never how or when — with the
    incidents (a member told their code was used; a code tried by a member not checked in)."""

    eligible: int
    voted: int
    present: int | None  # members checked in to the election's meeting; None without a meeting
    present_by_secretariat: int
    lines: list[RegisterLine]
    incidents: list[dict]

    @property
    def more_ballots_than_present(self) -> bool:
        return self.present is not None and self.voted > self.present


def register_is_public(election: Election) -> bool:
    """The voters' register is public (its signed link, shown in the room and on the ballot pages) from the opening
    of the vote on: a draft election has neither ballot codes nor voters."""
    return election.status != ElectionStatus.DRAFT


def election_register(election: Election) -> ElectionRegister:
    codes = list(election.codes.select_related("membership__person").order_by("membership__person__full_name", "id"))
    voted = set(election.voters.values_list("membership_id", flat=True))
    attendance: dict[int, str] = {}
    if election.meeting_id is not None:
        attendance = dict(
            Attendance.objects.filter(
                meeting_id=election.meeting_id, membership_id__in=[c.membership_id for c in codes]
            ).values_list("membership_id", "method")
        )
    has_meeting = election.meeting_id is not None
    lines = [
        RegisterLine(
            name=str(c.membership.person),
            voted=c.membership_id in voted,
            present=(c.membership_id in attendance) if has_meeting else None,
            present_by_secretariat=attendance.get(c.membership_id) == AttendanceMethod.SECRETARIAT,
        )
        for c in codes
    ]
    incidents = [
        {"name": str(i.membership.person), "kind": i.get_kind_display(), "attempts": i.attempts, "at": i.first_at}
        for i in election.incidents.select_related("membership__person").order_by("first_at", "id")
    ]
    return ElectionRegister(
        eligible=election.eligible_count if election.status != ElectionStatus.DRAFT else len(codes),
        voted=len(voted),
        present=len(attendance) if has_meeting else None,
        present_by_secretariat=sum(1 for m in attendance.values() if m == AttendanceMethod.SECRETARIAT),
        lines=lines,
        incidents=incidents,
    )
