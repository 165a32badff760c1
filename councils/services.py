"""Every write of council records. Views, the API, imports, the admin and the demo call these only.

Each service is atomic: when a rule fails it raises a CouncilError (a ValidationError with a translated
message) and nothing is written. Staff writes are audited (cities.services.audit_record) and every change to
a membership is kept in MembershipChange.
"""

import functools
import logging
import random
import re
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import F, Q, QuerySet, TextChoices
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cities import erasures
from cities.exports import export_links_revoke, export_links_revoke_on_commit
from cities.models import AuditEntry, City, District, User
from cities.services import audit_record
from consultations.models import AgeBand, Consultation, Gender, Participant, Session

from .errors import AlreadyVoted, CouncilError, ElectionNotOpen, NotCheckedIn, UnknownCode
from .models import (
    ADULT_AGE,
    BALLOT_CODE_LENGTH,
    CODE_ALPHABET,
    MEMBER_CODE_LENGTH,
    SEATED_STATUSES,
    Attendance,
    AttendanceMethod,
    BallotCode,
    Candidate,
    CandidateStatus,
    Committee,
    Council,
    DistrictSeatTarget,
    Election,
    ElectionBallot,
    ElectionIncident,
    ElectionOutcome,
    ElectionStatus,
    ElectionVoter,
    IncidentKind,
    Meeting,
    MemberRole,
    Membership,
    MembershipChange,
    MembershipStatus,
    Person,
    SelectionMethod,
    Term,
    TieRule,
    age_band_for,
    age_on,
)

PERSON_FIELDS = ("full_name", "phone", "email", "date_of_birth", "age_band", "gender", "district", "organisation")
MEMBERSHIP_FIELDS = ("role", "selection_method", "starts_on", "ends_on", "status")
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,24}$")
logger = logging.getLogger(__name__)


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _code(length: int, exists: Callable[[str], bool]) -> str:
    for _attempt in range(50):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
        if not exists(code):
            return code
    raise RuntimeError("Could not find a free code.")  # 23**8 codes: practically unreachable


def member_code_generate() -> str:
    return _code(MEMBER_CODE_LENGTH, lambda c: Membership.objects.filter(member_code=c).exists())


# --- Validation of personal fields --------------------------------------------------------------------------


def clean_phone(phone: str, *, required: bool = False) -> str:
    phone = (phone or "").strip()
    if not phone:
        if required:
            raise CouncilError(_("A phone number is required."), code="phone")
        return ""
    if not PHONE_RE.match(phone) or sum(ch.isdigit() for ch in phone) < 6:
        raise CouncilError(_("“%(value)s” is not a phone number.") % {"value": phone}, code="phone")
    return phone


def clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise CouncilError(_("“%(value)s” is not an e-mail address.") % {"value": email}, code="email") from None
    return email


def _clean_choice(
    value: str | None, choices: type[TextChoices], label: str | Promise, *, required: bool = False
) -> str:
    value = (value or "").strip() if isinstance(value, str) else value
    if not value:
        if required:
            raise CouncilError(_("%(field)s is required.") % {"field": label}, code="required")
        return ""
    if value not in choices.values:
        raise CouncilError(
            _("“%(value)s” is not a valid answer for %(field)s.") % {"value": value, "field": label}, code="choice"
        )
    return value


def _clean_district(city: City, district: District | int | str | None) -> District | None:
    if district is None or district == "":
        return None
    if isinstance(district, District):
        if district.city_id != city.pk:
            raise CouncilError(_("This district is not one of the city's districts."), code="district")
        return district
    try:
        return District.objects.get(pk=int(district), city=city)
    except (District.DoesNotExist, TypeError, ValueError):
        raise CouncilError(_("This district is not one of the city's districts."), code="district") from None


def _clean_person(city: City, data: dict) -> dict:
    cleaned = dict(data)
    if "full_name" in data:
        cleaned["full_name"] = (data["full_name"] or "").strip()
        if not cleaned["full_name"]:
            raise CouncilError(_("The full name is required."), code="full_name")
    if "phone" in data:
        cleaned["phone"] = clean_phone(data["phone"])
    if "email" in data:
        cleaned["email"] = clean_email(data["email"])
    if "gender" in data:
        cleaned["gender"] = _clean_choice(data["gender"], Gender, _("gender"))
    if "age_band" in data:
        cleaned["age_band"] = _clean_choice(data["age_band"], AgeBand, _("age band"))
    if "district" in data:
        cleaned["district"] = _clean_district(city, data["district"])
    if "organisation" in data:
        cleaned["organisation"] = (data["organisation"] or "").strip()
    if data.get("date_of_birth"):
        born = data["date_of_birth"]
        if born > timezone.localdate():
            raise CouncilError(_("The date of birth is in the future."), code="date_of_birth")
        # Keep the band in step with the date, so composition history survives an erasure.
        cleaned["age_band"] = age_band_for(age_on(born, timezone.localdate()))
    return cleaned


def _display(value: object) -> str | int | None:
    if value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _record(
    membership: Membership,
    *,
    actor: User | None,
    action: str,
    reason: str = "",
    changes: dict | None = None,
    election: Election | None = None,
) -> MembershipChange:
    change = MembershipChange.objects.create(
        membership=membership,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        action=action,
        reason=reason or "",
        changes=changes or {},
        election=election,
    )
    audit_record(
        actor=actor,
        action=f"membership.{action}",
        target=membership,
        city=membership.term.council.city,
        data={"reason": reason or "", "fields": sorted((changes or {}).keys())},
    )
    return change


# --- Council, terms, committees -----------------------------------------------------------------------------


@transaction.atomic
def council_create(
    *,
    city: City,
    name: str,
    seat_count: int,
    term_name: str,
    term_starts_on: date,
    term_ends_on: date,
    actor: User | None,
    mandate: str = "",
    min_age: int = 15,
    max_age: int = 35,
    residence_required: bool = True,
    gender_min_share: int = 40,
    eligibility_notes: str = "",
) -> Council:
    """Create the city's council with its first term. Raises CouncilError (the city has one already, bad
    numbers)."""
    if Council.objects.filter(city=city).exists():
        raise CouncilError(_("This city already has a youth council."), code="exists")
    council = Council(
        city=city,
        name=(name or "").strip(),
        mandate=mandate,
        seat_count=seat_count,
        min_age=min_age,
        max_age=max_age,
        residence_required=residence_required,
        gender_min_share=gender_min_share,
        eligibility_notes=eligibility_notes,
    )
    _check_council(council)
    council.save()
    term_create(council=council, name=term_name, starts_on=term_starts_on, ends_on=term_ends_on, actor=actor)
    audit_record(actor=actor, action="council.create", target=council, city=city, data={"name": council.name})
    return council


def _check_council(council: Council) -> None:
    if not council.name:
        raise CouncilError(_("The council needs a name."), code="name")
    if not council.seat_count or council.seat_count < 1:
        raise CouncilError(_("A council has at least one seat."), code="seats")
    if council.min_age > council.max_age:
        raise CouncilError(_("The minimum age is above the maximum age."), code="ages")
    if council.gender_min_share > 50:
        raise CouncilError(_("The minimum share of each gender cannot exceed 50%."), code="gender_share")


COUNCIL_EDITABLE = (
    "name",
    "mandate",
    "seat_count",
    "min_age",
    "max_age",
    "residence_required",
    "gender_min_share",
    "eligibility_notes",
)


@transaction.atomic
def council_update(*, council: Council, actor: User | None, **changes: Any) -> Council:
    """Change the council's settings and targets. Raises CouncilError."""
    unknown = set(changes) - set(COUNCIL_EDITABLE)
    if unknown:
        raise CouncilError(
            _("These settings cannot be changed here: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    council = Council.objects.select_for_update().get(pk=council.pk)
    before = {k: getattr(council, k) for k in changes}
    for key, value in changes.items():
        setattr(council, key, value.strip() if isinstance(value, str) else value)
    _check_council(council)
    council.save()
    diff = {
        k: [_display(before[k]), _display(getattr(council, k))] for k in changes if before[k] != getattr(council, k)
    }
    audit_record(actor=actor, action="council.update", target=council, city=council.city, data=diff)
    return council


@transaction.atomic
def district_targets_set(*, council: Council, targets: dict, actor: User | None) -> None:
    """Set the seats each district should hold ({district or id: seats}; 0 removes the target)."""
    for district, seats in targets.items():
        district = _clean_district(council.city, district)
        seats = int(seats or 0)
        if seats < 0:
            raise CouncilError(_("A number of seats cannot be negative."))
        if seats == 0:
            DistrictSeatTarget.objects.filter(council=council, district=district).delete()
        else:
            DistrictSeatTarget.objects.update_or_create(council=council, district=district, defaults={"seats": seats})
    audit_record(
        actor=actor,
        action="council.targets",
        target=council,
        city=council.city,
        data={str(k if not isinstance(k, District) else k.pk): int(v or 0) for k, v in targets.items()},
    )


@transaction.atomic
def term_create(*, council: Council, name: str, starts_on: date, ends_on: date, actor: User | None) -> Term:
    """Add a mandate period. Raises CouncilError when the dates are reversed or the name is taken."""
    name = (name or "").strip()
    if not name:
        raise CouncilError(_("The term needs a name."), code="name")
    if not starts_on or not ends_on or ends_on <= starts_on:
        raise CouncilError(_("A term must end after it starts."), code="dates")
    if Term.objects.filter(council=council, name=name).exists():
        raise CouncilError(_("A term with this name exists already."), code="name")
    term = Term.objects.create(council=council, name=name, starts_on=starts_on, ends_on=ends_on)
    audit_record(actor=actor, action="term.create", target=term, city=council.city, data={"name": name})
    return term


@transaction.atomic
def committee_create(*, council: Council, name: str, actor: User | None, description: str = "") -> Committee:
    name = (name or "").strip()
    if not name:
        raise CouncilError(_("The committee needs a name."), code="name")
    if Committee.objects.filter(council=council, name=name).exists():
        raise CouncilError(_("A committee with this name exists already."), code="name")
    committee = Committee.objects.create(council=council, name=name, description=description)
    audit_record(actor=actor, action="committee.create", target=committee, city=council.city, data={"name": name})
    return committee


# --- Memberships --------------------------------------------------------------------------------------------


def _seated_count(term: Term) -> int:
    return Membership.objects.filter(term=term, status__in=SEATED_STATUSES).count()


def _check_committees(council: Council, committees: Iterable) -> list[Committee]:
    result = []
    for committee in committees:
        if not isinstance(committee, Committee):
            committee = Committee.objects.filter(pk=committee, council=council).first()
        if committee is None or committee.council_id != council.pk:
            raise CouncilError(_("This committee is not one of the council's committees."), code="committee")
        result.append(committee)
    return result


def _check_president_free(term: Term, role: str, *, exclude: Membership | None = None) -> None:
    if role != MemberRole.PRESIDENT:
        return
    others = Membership.objects.filter(term=term, role=MemberRole.PRESIDENT, status=MembershipStatus.ACTIVE)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if others.exists():
        raise CouncilError(_("The council already has a president in this term."), code="president")


@transaction.atomic
def membership_add(
    *,
    term: Term,
    actor: User | None,
    role: str = MemberRole.MEMBER,
    selection_method: str,
    starts_on: date | None = None,
    ends_on: date | None = None,
    person: Person | None = None,
    full_name: str = "",
    gender: str = "",
    district: District | int | str | None = None,
    phone: str = "",
    email: str = "",
    date_of_birth: date | None = None,
    age_band: str = "",
    organisation: str = "",
    committees: Iterable = (),
    guardian_consent: bool = False,
    source_session: Session | None = None,
    source_consultation: Consultation | None = None,
    reason: str = "",
) -> Membership:
    """Seat a person (new, or an existing Person of the city) in term.

    Rules: a free seat (seated members < seat count, checked under a row lock on the council); one seat per
    person and term; one active president per term; a minor (under 18 on the start date) needs a guardian's
    consent. Raises CouncilError.
    """
    council = Council.objects.select_for_update().get(pk=term.council_id)
    city = council.city
    role = _clean_choice(role, MemberRole, _("role"), required=True)
    selection_method = _clean_choice(selection_method, SelectionMethod, _("how selected"), required=True)
    starts_on = starts_on or timezone.localdate()
    if ends_on and ends_on < starts_on:
        raise CouncilError(_("A membership cannot end before it starts."), code="dates")
    if person is None:
        fields = _clean_person(
            city,
            {
                "full_name": full_name,
                "gender": gender,
                "district": district,
                "phone": phone,
                "email": email,
                "date_of_birth": date_of_birth,
                "age_band": age_band,
                "organisation": organisation,
            },
        )
        person = Person(city=city, **fields)
    elif person.city_id != city.pk:
        raise CouncilError(_("This person belongs to another city."), code="city")
    elif person.erased_at is not None:
        raise CouncilError(_("This person's data has been erased."), code="erased")
    if person.pk and Membership.objects.filter(person=person, term=term).exists():
        raise CouncilError(_("This person already has a seat in this term."), code="duplicate")
    if _seated_count(term) >= council.seat_count:
        raise CouncilError(_("All %(seats)s seats are filled: end a membership first.") % {"seats": council.seat_count})
    _check_president_free(term, role)
    if person.is_minor_on(starts_on) and not guardian_consent:
        raise CouncilError(_("This member is a minor: record that a parent or guardian consented."), code="guardian")
    committee_list = _check_committees(council, committees)
    person.save()
    membership = Membership.objects.create(
        person=person,
        term=term,
        role=role,
        selection_method=selection_method,
        starts_on=starts_on,
        ends_on=ends_on,
        source_session=source_session,
        source_consultation=source_consultation,
        guardian_consent_at=timezone.now() if guardian_consent else None,
        member_code=member_code_generate(),
    )
    membership.committees.set(committee_list)
    _record(
        membership,
        actor=actor,
        action="create",
        reason=reason,
        changes={
            "role": [None, role],
            "selection_method": [None, selection_method],
            "starts_on": [None, starts_on.isoformat()],
            "committees": [None, sorted(c.name for c in committee_list)],
        },
    )
    return membership


@transaction.atomic
def membership_update(
    *,
    membership: Membership,
    actor: User | None,
    reason: str = "",
    election: Election | None = None,
    **changes: Any,
) -> Membership:
    """Change a member's personal fields (full_name, phone, email, date_of_birth, age_band, gender, district,
    organisation), seat (role, selection_method, starts_on, ends_on, status active/suspended) or committees.

    Records what changed, who and why. Ending a seat goes through membership_end. Raises CouncilError.
    """
    membership = (
        Membership.objects.select_for_update().select_related("person", "term__council__city").get(pk=membership.pk)
    )
    council = membership.term.council
    allowed = {*PERSON_FIELDS, *MEMBERSHIP_FIELDS, "committees", "guardian_consent"}
    unknown = set(changes) - allowed
    if unknown:
        raise CouncilError(_("These fields cannot be changed here: %(names)s") % {"names": ", ".join(sorted(unknown))})
    if not membership.is_seated:
        raise CouncilError(_("This membership has ended; its record can no longer be changed."), code="ended")
    if membership.person.erased_at is not None:
        raise CouncilError(_("This person's data has been erased."), code="erased")
    diff: dict = {}
    person = membership.person
    person_changes = _clean_person(council.city, {k: v for k, v in changes.items() if k in PERSON_FIELDS})
    for key, value in person_changes.items():
        old = getattr(person, key)
        if old != value:
            diff[key] = [_display(old), _display(value)]
            setattr(person, key, value)
    for key in MEMBERSHIP_FIELDS:
        if key not in changes:
            continue
        value = changes[key]
        if key == "role":
            value = _clean_choice(value, MemberRole, _("role"), required=True)
        elif key == "selection_method":
            value = _clean_choice(value, SelectionMethod, _("how selected"), required=True)
        elif key == "status":
            value = _clean_choice(value, MembershipStatus, _("status"), required=True)
            if value not in SEATED_STATUSES:
                raise CouncilError(_("To end a membership, use “End membership” and give a reason."), code="status")
        old = getattr(membership, key)
        if old != value:
            diff[key] = [_display(old), _display(value)]
            setattr(membership, key, value)
    if membership.ends_on and membership.ends_on < membership.starts_on:
        raise CouncilError(_("A membership cannot end before it starts."), code="dates")
    if membership.status == MembershipStatus.ACTIVE:
        _check_president_free(membership.term, membership.role, exclude=membership)
    if changes.get("guardian_consent") and membership.guardian_consent_at is None:
        membership.guardian_consent_at = timezone.now()
        diff["guardian_consent"] = [None, True]
    if person.is_minor_on(membership.starts_on) and membership.guardian_consent_at is None:
        raise CouncilError(_("This member is a minor: record that a parent or guardian consented."), code="guardian")
    if "committees" in changes:
        new = _check_committees(council, changes["committees"])
        old_names = sorted(c.name for c in membership.committees.all())
        new_names = sorted(c.name for c in new)
        if old_names != new_names:
            diff["committees"] = [old_names, new_names]
            membership.committees.set(new)
    if not diff:
        return membership
    person.save()
    membership.save()
    action = "role" if set(diff) == {"role"} else "update"
    _record(membership, actor=actor, action=action, reason=reason, changes=diff, election=election)
    return membership


@transaction.atomic
def membership_end(
    *,
    membership: Membership,
    actor: User | None,
    reason: str,
    status: str = MembershipStatus.ENDED,
    ends_on: date | None = None,
) -> Membership:
    """End a seat (resigned or ended) with a reason; the seat becomes vacant. Raises CouncilError."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    reason = (reason or "").strip()
    if not reason:
        raise CouncilError(_("Give the reason why this membership ends."), code="reason")
    if status not in (MembershipStatus.RESIGNED, MembershipStatus.ENDED):
        raise CouncilError(_("A membership ends as “resigned” or “ended”."), code="status")
    if not membership.is_seated:
        raise CouncilError(_("This membership has already ended."), code="ended")
    ends_on = ends_on or timezone.localdate()
    if ends_on < membership.starts_on:
        raise CouncilError(_("A membership cannot end before it starts."), code="dates")
    diff = {
        "status": [membership.status, status],
        "ends_on": [_display(membership.ends_on), ends_on.isoformat()],
    }
    membership.status, membership.ends_on, membership.end_reason = status, ends_on, reason
    membership.save(update_fields=["status", "ends_on", "end_reason"])
    _record(membership, actor=actor, action="end", reason=reason, changes=diff)
    return membership


# --- Candidates from consultations --------------------------------------------------------------------------


@transaction.atomic
def candidate_opt_in(
    *,
    participant: Participant,
    name: str,
    phone: str,
    email: str = "",
    district: District | int | str | None = None,
    age: int | str | None = None,
    consent: bool,
    guardian_consent: bool = False,
) -> Candidate:
    """A participant asks to be contacted about the youth council of their session's city.

    Needs explicit consent; a participant under 18 also needs a guardian's consent. Opting in again from the
    same participant updates the details. Raises CouncilError.
    """
    session = participant.session
    consultation = session.consultation
    council = Council.objects.filter(city_id=consultation.city_id).first()
    if council is None:
        raise CouncilError(_("This city has no youth council yet."), code="no_council")
    if consent is not True:
        raise CouncilError(_("Please agree that the council secretariat may contact you."), code="consent")
    name = (name or "").strip()
    if not name:
        raise CouncilError(_("Please give your name."), code="name")
    phone = clean_phone(phone, required=True)
    email = clean_email(email)
    district_obj = _clean_district(council.city, district)
    if age is None or age == "":
        age = None
    else:
        try:
            age = int(age)
        except (TypeError, ValueError):
            raise CouncilError(_("The age must be a number."), code="age") from None
        if not 10 <= age <= 99:
            raise CouncilError(_("The age must be between 10 and 99."), code="age")
    minor = (age is not None and age < ADULT_AGE) or (age is None and participant.is_minor)
    if minor and not guardian_consent:
        raise CouncilError(_("You are under 18: a parent or guardian must agree too."), code="guardian")
    now = timezone.now()
    candidate, _created = Candidate.objects.update_or_create(
        council=council,
        participant=participant,
        defaults={
            "session": session,
            "name": name,
            "phone": phone,
            "email": email,
            "district": district_obj,
            "age": age,
            "consented_at": now,
            "guardian_consent_at": now if guardian_consent else None,
        },
    )
    return candidate


@transaction.atomic
def candidate_accept(
    *,
    candidate: Candidate,
    term: Term,
    actor: User | None,
    gender: str = "",
    role: str = MemberRole.MEMBER,
    selection_method: str = SelectionMethod.COOPTED,
    starts_on: date | None = None,
    guardian_consent: bool = False,
    reason: str = "",
) -> Membership:
    """Seat a candidate as a member; the membership keeps the consultation and session they came from.
    Raises CouncilError (already decided, no seat, minor without guardian consent...)."""
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != CandidateStatus.NEW:
        raise CouncilError(_("This candidate has already been decided on."), code="decided")
    if term.council_id != candidate.council_id:
        raise CouncilError(_("This term belongs to another council."), code="term")
    participant = candidate.participant
    session = candidate.session
    age_band = (
        age_band_for(candidate.age) if candidate.age is not None else (participant.age_band if participant else "")
    )
    membership = membership_add(
        term=term,
        actor=actor,
        role=role,
        selection_method=selection_method,
        starts_on=starts_on,
        full_name=candidate.name,
        phone=candidate.phone,
        email=candidate.email,
        district=candidate.district,
        gender=gender or (participant.gender if participant else ""),
        age_band=age_band,
        guardian_consent=guardian_consent or candidate.guardian_consent_at is not None,
        source_session=session,
        source_consultation=session.consultation if session else None,
        reason=reason or str(_("Accepted from the candidates who opted in at a consultation.")),
    )
    candidate.status = CandidateStatus.ACCEPTED
    candidate.membership = membership
    candidate.save(update_fields=["status", "membership"])
    return membership


@transaction.atomic
def candidate_decline(*, candidate: Candidate, actor: User | None) -> Candidate:
    if candidate.status != CandidateStatus.NEW:
        raise CouncilError(_("This candidate has already been decided on."), code="decided")
    candidate.status = CandidateStatus.DECLINED
    candidate.save(update_fields=["status"])
    audit_record(actor=actor, action="candidate.decline", target=candidate, city=candidate.council.city)
    return candidate


# --- Meetings and attendance --------------------------------------------------------------------------------


@transaction.atomic
def meeting_schedule(
    *,
    council: Council,
    title: str,
    scheduled_at: datetime | None,
    actor: User | None,
    place: str = "",
    agenda: str = "",
) -> Meeting:
    title = (title or "").strip()
    if not title or not scheduled_at:
        raise CouncilError(_("A meeting needs a title and a date."), code="required")
    meeting = Meeting.objects.create(
        council=council, title=title, scheduled_at=scheduled_at, place=place, agenda=agenda
    )
    audit_record(actor=actor, action="meeting.schedule", target=meeting, city=council.city, data={"title": title})
    return meeting


MEETING_EDITABLE = ("title", "scheduled_at", "place", "agenda", "minutes", "checkin_open")


@transaction.atomic
def meeting_update(*, meeting: Meeting, actor: User | None, **changes: Any) -> Meeting:
    unknown = set(changes) - set(MEETING_EDITABLE)
    if unknown:
        raise CouncilError(_("These fields cannot be changed here: %(names)s") % {"names": ", ".join(sorted(unknown))})
    for key, value in changes.items():
        setattr(meeting, key, value)
    if not (meeting.title or "").strip():
        raise CouncilError(_("A meeting needs a title and a date."), code="required")
    meeting.save()
    audit_record(
        actor=actor,
        action="meeting.update",
        target=meeting,
        city=meeting.council.city,
        data={"fields": sorted(changes)},
    )
    return meeting


def _check_attendee(meeting: Meeting, membership: Membership) -> None:
    membership = Membership.objects.select_related("term").get(pk=membership.pk)
    if membership.term.council_id != meeting.council_id or not membership.is_seated:
        raise CouncilError(_("This person is not a sitting member of the council."), code="not_member")


@transaction.atomic
def attendance_record(
    *, meeting: Meeting, membership: Membership, actor: User | None, method: str = AttendanceMethod.SECRETARIAT
) -> Attendance:
    """Mark a member present (idempotent: recording twice keeps one row). Raises CouncilError."""
    _check_attendee(meeting, membership)
    attendance, created = Attendance.objects.get_or_create(
        meeting=meeting,
        membership=membership,
        defaults={"method": method, "recorded_by": actor if getattr(actor, "is_authenticated", False) else None},
    )
    if created and actor is not None:
        audit_record(actor=actor, action="attendance.record", target=attendance, city=meeting.council.city)
    return attendance


@transaction.atomic
def attendance_remove(*, meeting: Meeting, membership: Membership, actor: User | None) -> None:
    deleted, _rows = Attendance.objects.filter(meeting=meeting, membership=membership).delete()
    if deleted:
        audit_record(
            actor=actor,
            action="attendance.remove",
            target=membership,
            city=meeting.council.city,
            data={"meeting": meeting.pk},
        )


@transaction.atomic
def meeting_checkin(*, meeting: Meeting, member_code: str) -> Attendance:
    """A member checks in with their member code after scanning the meeting's QR code.
    Raises ElectionNotOpen-like CouncilError when check-in is closed, UnknownCode for a wrong code."""
    if not meeting.checkin_open:
        raise CouncilError(_("Check-in is not open for this meeting."), code="closed")
    membership = (
        Membership.objects.select_related("term")
        .filter(member_code=normalise_code(member_code), term__council_id=meeting.council_id)
        .first()
    )
    if membership is None or not membership.is_seated:
        raise UnknownCode
    return attendance_record(meeting=meeting, membership=membership, actor=None, method=AttendanceMethod.QR)


# --- Elections ----------------------------------------------------------------------------------------------


@transaction.atomic
def election_create(
    *,
    council: Council,
    term: Term,
    title: str,
    role: str,
    candidates: Iterable[Membership],
    actor: User | None,
    quorum_percent: int = 50,
    tie_rule: str = TieRule.TIE,
    meeting: Meeting | None = None,
) -> Election:
    """Prepare an election of role among candidates (active members of term). With a meeting, a ballot code works
    only for a member checked in to it (members vote in the room). Raises CouncilError."""
    if term.council_id != council.pk:
        raise CouncilError(_("This term belongs to another council."), code="term")
    if meeting is not None and meeting.council_id != council.pk:
        raise CouncilError(_("This meeting belongs to another council."), code="meeting")
    role = _clean_choice(role, MemberRole, _("role"), required=True)
    tie_rule = _clean_choice(tie_rule, TieRule, _("if there is a tie"), required=True)
    if not 0 <= int(quorum_percent) <= 100:
        raise CouncilError(_("The quorum is a percentage between 0 and 100."), code="quorum")
    candidates = list(candidates)
    if not candidates:
        raise CouncilError(_("An election needs at least one candidate."), code="candidates")
    ids = {m.pk if isinstance(m, Membership) else int(m) for m in candidates}
    candidates = list(Membership.objects.filter(pk__in=ids, term=term, status=MembershipStatus.ACTIVE))
    if len(candidates) != len(ids):
        raise CouncilError(_("Every candidate must be an active member of this term."), code="candidates")
    election = Election.objects.create(
        council=council,
        term=term,
        title=(title or "").strip() or str(MemberRole(role).label),
        role=role,
        quorum_percent=int(quorum_percent),
        tie_rule=tie_rule,
        meeting=meeting,
    )
    election.candidates.set(candidates)
    audit_record(
        actor=actor,
        action="election.create",
        target=election,
        city=council.city,
        data={"role": role, "meeting": meeting.pk if meeting else None},
    )
    return election


@transaction.atomic
def election_open(*, election: Election, actor: User | None) -> Election:
    """Open voting: every active member of the term gets a single-use ballot code. Raises CouncilError."""
    election = Election.objects.select_for_update().get(pk=election.pk)
    if election.status != ElectionStatus.DRAFT:
        raise CouncilError(_("This election has already been opened."), code="status")
    members = list(Membership.objects.filter(term=election.term, status=MembershipStatus.ACTIVE))
    if not members:
        raise CouncilError(_("The term has no active members to vote."), code="voters")
    for membership in members:
        code = _code(BALLOT_CODE_LENGTH, lambda c: BallotCode.objects.filter(code=c).exists())
        BallotCode.objects.create(election=election, membership=membership, code=code)
    election.status = ElectionStatus.OPEN
    election.eligible_count = len(members)
    election.opened_at = timezone.now()
    election.save(update_fields=["status", "eligible_count", "opened_at"])
    audit_record(
        actor=actor,
        action="election.open",
        target=election,
        city=election.council.city,
        data={"eligible": len(members)},
    )
    return election


def ballot_code_lookup(code: str) -> BallotCode:
    """The ballot code, or UnknownCode."""
    found = BallotCode.objects.select_related("election", "membership").filter(code=normalise_code(code)).first()
    if found is None:
        raise UnknownCode
    return found


def _incident_record(ballot_code: BallotCode, kind: str) -> None:
    updated = ElectionIncident.objects.filter(
        election_id=ballot_code.election_id, membership_id=ballot_code.membership_id, kind=kind
    ).update(attempts=F("attempts") + 1)
    if not updated:
        ElectionIncident.objects.create(
            election_id=ballot_code.election_id, membership_id=ballot_code.membership_id, kind=kind
        )


def _ballot_admission(code: str) -> tuple[BallotCode, CouncilError | None]:
    """Inside a transaction: lock the code's election and say whether the code may vote now (None) or why not.
    A refusal that may mean someone else holds the member's code (it was already used; the member is not checked
    in to the election's meeting) is recorded as an incident, which the register shows to the chair and the room.
    Raises UnknownCode."""
    ballot_code = ballot_code_lookup(code)
    # Every admission and cast of an election queues on its row: the urn is rewritten by one cast at a time.
    ballot_code.election = election = Election.objects.select_for_update().get(pk=ballot_code.election_id)
    if election.status != ElectionStatus.OPEN:
        return ballot_code, ElectionNotOpen()
    if ElectionVoter.objects.filter(election=election, membership_id=ballot_code.membership_id).exists():
        _incident_record(ballot_code, IncidentKind.CODE_USED)
        return ballot_code, AlreadyVoted()
    if (
        election.meeting_id is not None
        and not Attendance.objects.filter(
            meeting_id=election.meeting_id, membership_id=ballot_code.membership_id
        ).exists()
    ):
        _incident_record(ballot_code, IncidentKind.NOT_CHECKED_IN)
        return ballot_code, NotCheckedIn()
    return ballot_code, None


def ballot_code_check(code: str) -> BallotCode:
    """The ballot code if its member may vote now (the ballot page asks before showing the ballot). Raises
    UnknownCode, ElectionNotOpen, AlreadyVoted, NotCheckedIn; the last two are kept as incidents."""
    with transaction.atomic():
        ballot_code, refusal = _ballot_admission(code)
    if refusal is not None:
        raise refusal
    return ballot_code


_urn_shuffle = secrets.SystemRandom().shuffle


def _urn_rewrite(election: Election, *, add: int | None) -> None:
    """Put a ballot into the election's urn by rewriting the whole urn: every ballot is deleted and inserted again,
    in a random order with new random keys. So the live rows' physical order (PostgreSQL, pg_dump), SQLite rowids,
    keys and PostgreSQL xmin (all rows carry the last cast's) say nothing about the order of casting. Deleted rows
    are zeroed in the SQLite file (PRAGMA secure_delete, config/settings.py); on PostgreSQL they stay as dead
    tuples until election_close rewrites the table (ballots_compact). A council has about a hundred members at most,
    so a cast rewrites at most that many short rows."""
    choices: list[int | None] = list(
        ElectionBallot.objects.filter(election=election).values_list("choice_id", flat=True)
    )
    choices.append(add)
    _urn_shuffle(choices)
    ElectionBallot.objects.filter(election=election).delete()
    ElectionBallot.objects.bulk_create([ElectionBallot(election=election, choice_id=choice) for choice in choices])


def ballot_cast(*, code: str, choice: Membership | int | str | None) -> None:
    """Cast the secret ballot of the member holding code; choice None is a blank vote.

    In one transaction, under a lock on the election's row: the register row (ElectionVoter: who voted, never when;
    unique per election and member) is written and the ballot put into the urn (ElectionBallot: no link to the
    voter, the code or a time; the urn is rewritten in a random order, see _urn_rewrite). A second ballot from the
    same member is refused (and the unique constraint would refuse it anyway). Raises UnknownCode, ElectionNotOpen,
    AlreadyVoted, NotCheckedIn (the last two recorded as incidents), CouncilError.
    """
    with transaction.atomic():
        ballot_code, refusal = _ballot_admission(code)
        if refusal is None:
            election = ballot_code.election
            choice_id = (
                choice.pk
                if isinstance(choice, Membership)
                else (int(choice) if choice is not None and choice != "" else None)
            )
            if choice_id is not None and not election.candidates.filter(pk=choice_id).exists():
                raise CouncilError(_("This person is not a candidate in this election."), code="choice")
            try:
                with transaction.atomic():
                    ElectionVoter.objects.create(election=election, membership_id=ballot_code.membership_id)
            except IntegrityError:
                raise AlreadyVoted from None
            _urn_rewrite(election, add=choice_id)
    if refusal is not None:
        raise refusal


def _older_transactions_running(cursor: CursorWrapper) -> bool:
    """PostgreSQL: whether a transaction or snapshot that began before the newest ballot was written still runs.
    VACUUM FULL cannot drop a dead tuple such a transaction may see: its own snapshot counts every running
    transaction of the cluster (any database), and snapshots held in this database count too."""
    table = connection.ops.quote_name(ElectionBallot._meta.db_table)
    cursor.execute(f"SELECT min(age(xmin)) FROM {table}")  # noqa: S608 - our own table name
    newest = cursor.fetchone()[0]
    if newest is None:
        return False
    cursor.execute(
        "SELECT max(age(x)) FROM (SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint % 4294967296)"
        "::text::xid AS x UNION ALL SELECT backend_xmin FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL) AS running"
    )
    oldest = cursor.fetchone()[0]
    return oldest is not None and oldest >= newest


def ballots_compact(*, wait: float = 5.0) -> bool:
    """Drop the history of council ballot urns that the database still keeps; True when all of it is gone.

    PostgreSQL keeps every rewritten generation of an urn as dead tuples until VACUUM; a plain VACUUM frees them
    but leaves their bytes in the pages, so VACUUM FULL writes the ballot table anew (live rows only). It must run
    outside a transaction, and cannot drop tuples that a transaction begun before the last cast may still see (a
    backup, a long report, a stuck session — in any database of the server): this waits up to `wait` seconds for
    such transactions to end, compacts what it can, and answers False if they were still running. SQLite zeroes
    deleted rows (secure_delete) but its write-ahead log keeps earlier page images until a checkpoint; a TRUNCATE
    checkpoint empties it. election_close calls this after its commit; `manage.py elections_compact` runs it by
    hand or daily. Failures are logged."""
    table = connection.ops.quote_name(ElectionBallot._meta.db_table)
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                deadline = time.monotonic() + wait
                while (blocked := _older_transactions_running(cursor)) and time.monotonic() < deadline:
                    time.sleep(0.2)
                # VACUUM FULL takes the table's exclusive lock: wait for casts of other elections, not forever.
                cursor.execute("SET lock_timeout = '10s'")
                try:
                    cursor.execute(f"VACUUM FULL {table}")
                finally:
                    cursor.execute("RESET lock_timeout")
                if blocked:
                    logger.warning(
                        "Council ballot table: a transaction older than the last ballot is still running, so earlier"
                        " states of an urn remain until `manage.py elections_compact` runs again."
                    )
                    return False
            elif connection.vendor == "sqlite":
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                if cursor.fetchone()[0]:
                    logger.warning("The SQLite log could not be truncated after an election closed (busy).")
                    return False
    except Exception:
        logger.warning("Could not compact the council ballot table.", exc_info=True)
        return False
    return True


@transaction.atomic
def election_close(*, election: Election, actor: User | None) -> Election:
    """Close voting, count and record the outcome. A winner's role changes on the roster with the election as
    its reason (a sitting president of the term steps back to member). Below the quorum there is no winner; a
    tie gives no winner or a draw by lot with a recorded seed, as the election is configured."""
    election = Election.objects.select_for_update().get(pk=election.pk)
    if election.status != ElectionStatus.OPEN:
        raise ElectionNotOpen
    tally = {str(c.pk): 0 for c in election.candidates.all()}
    blank = 0
    for choice_id in ElectionBallot.objects.filter(election=election).values_list("choice_id", flat=True):
        if choice_id is None:
            blank += 1
        else:
            tally[str(choice_id)] = tally.get(str(choice_id), 0) + 1
    turnout = ElectionVoter.objects.filter(election=election).count()
    election.tally = {"candidates": tally, "blank": blank, "turnout": turnout}
    election.status = ElectionStatus.CLOSED
    election.closed_at = timezone.now()
    winner_id = None
    best = max(tally.values(), default=0)
    if election.eligible_count and turnout * 100 < election.quorum_percent * election.eligible_count:
        election.outcome = ElectionOutcome.NO_QUORUM
    elif best == 0:
        election.outcome = ElectionOutcome.NO_VOTES
    else:
        leaders = sorted(int(pk) for pk, votes in tally.items() if votes == best)
        if len(leaders) == 1:
            winner_id, election.outcome = leaders[0], ElectionOutcome.WINNER
        elif election.tie_rule == TieRule.LOTS:
            election.lot_seed = secrets.token_hex(16)
            winner_id = random.Random(election.lot_seed).choice(leaders)
            election.outcome = ElectionOutcome.WINNER_BY_LOT
        else:
            election.outcome = ElectionOutcome.TIE
    election.winner_id = winner_id
    election.save()
    reason = str(_("Result of the election “%(title)s”.") % {"title": election.title})
    if winner_id is not None:
        winner = Membership.objects.get(pk=winner_id)
        if election.role == MemberRole.PRESIDENT:
            for sitting in Membership.objects.filter(
                term=election.term, role=MemberRole.PRESIDENT, status=MembershipStatus.ACTIVE
            ).exclude(pk=winner_id):
                membership_update(
                    membership=sitting, actor=actor, reason=reason, election=election, role=MemberRole.MEMBER
                )
        if winner.status == MembershipStatus.ACTIVE:
            membership_update(membership=winner, actor=actor, reason=reason, election=election, role=election.role)
    audit_record(
        actor=actor,
        action="election.close",
        target=election,
        city=election.council.city,
        data={"outcome": election.outcome, "turnout": turnout, "seed": election.lot_seed},
    )
    transaction.on_commit(ballots_compact)
    return election


# --- Personal data: erasure -----------------------------------------------------------------------------------


_SEPARATORS = r"[\s.\-/()]*"


def _name_pattern(words: list[str]) -> re.Pattern:
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)", re.IGNORECASE)


def _phone_pattern(phone: str) -> re.Pattern | None:
    """The phone number however it is written in a text: its last nine digits with any separators, after an
    optional +212 / 00212 / 0 prefix."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 6:
        return None
    core = _SEPARATORS.join(digits[-9:])
    return re.compile(rf"(?<!\d)(?:(?:\+|00)\d{{1,3}}{_SEPARATORS}|0{_SEPARATORS})?{core}(?!\d)")


def _erasure_patterns(person: Person) -> tuple[list[re.Pattern], list[re.Pattern]]:
    """What erasing ``person`` removes from free texts: (in any text of their council and city: the full name, the
    phone number, the e-mail address; in texts about the person themselves: also each word of their name of three
    letters or more, e.g. "Salma left the council")."""
    shared = []
    words = (person.full_name or "").split()
    if words:
        shared.append(_name_pattern(words))
    phone = _phone_pattern(person.phone)
    if phone is not None:
        shared.append(phone)
    if person.email:
        shared.append(re.compile(re.escape(person.email), re.IGNORECASE))
    own = shared + [_name_pattern([w]) for w in words if len(w) >= 3 and len(words) > 1]
    return shared, own


def _scrub(value: Any, patterns: list[re.Pattern], erased: str) -> Any:
    """value with every match of patterns replaced by erased, in a text or in every text of a JSON value."""
    if isinstance(value, str):
        for pattern in patterns:
            value = pattern.sub(erased, value)
        return value
    if isinstance(value, list):
        return [_scrub(v, patterns, erased) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, patterns, erased) for k, v in value.items()}
    return value


def _scrub_rows(queryset: QuerySet, fields: list[str], patterns: list[re.Pattern], erased: str) -> None:
    for row in queryset.only("pk", *fields).iterator():
        scrubbed = {f: _scrub(getattr(row, f), patterns, erased) for f in fields}
        changed = [f for f in fields if scrubbed[f] != getattr(row, f)]
        if changed:
            for f in changed:
                setattr(row, f, scrubbed[f])
            row.save(update_fields=changed)


@transaction.atomic
def person_erase(*, person: Person, actor: User | None, reason: str) -> Person:
    """Erase a person's personal data on request. Keeps gender, age band and district (anonymous composition
    history), the seats and their dates; scrubs names and contacts from the history and from candidacies, replaces
    the person's name, phone number and e-mail address with "[erased]" in the free texts of their council and city
    (reasons, history, meeting minutes, audit entries, the erasure's own reason), records the erasure in the audit
    log, and revokes the download links of the city's exports made before (cities.exports.export_links_revoke).
    Raises CouncilError."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.erased_at is not None:
        raise CouncilError(_("This person's data has already been erased."), code="erased")
    reason = (reason or "").strip()
    if not reason:
        raise CouncilError(_("Give the reason for the erasure (for example the request's date)."), code="reason")
    erased = str(_("[erased]"))
    shared, own = _erasure_patterns(person)
    person.age_band = person.current_age_band
    person.full_name = ""
    person.phone = ""
    person.email = ""
    person.date_of_birth = None
    person.organisation = ""
    person.erased_at = timezone.now()
    person.save()
    for change in MembershipChange.objects.filter(membership__person=person):
        scrubbed = {
            key: (
                [erased, erased] if key in ("full_name", "phone", "email", "date_of_birth", "organisation") else value
            )
            for key, value in change.changes.items()
        }
        if scrubbed != change.changes:
            change.changes = scrubbed
            change.save(update_fields=["changes"])
    Candidate.objects.filter(membership__person=person).update(name=erased, phone="", email="", age=None)
    if shared:
        # Texts about the person: their seats' history and end reasons, audit entries of their seats and of them.
        _scrub_rows(MembershipChange.objects.filter(membership__person=person), ["reason", "changes"], own, erased)
        _scrub_rows(Membership.objects.filter(person=person), ["end_reason"], own, erased)
        seats = [str(pk) for pk in person.memberships.values_list("pk", flat=True)]
        about = Q(target_type="councils.person", target_id=str(person.pk)) | Q(
            target_type="councils.membership", target_id__in=seats
        )
        _scrub_rows(AuditEntry.objects.filter(about, city_id=person.city_id), ["data"], own, erased)
        # Texts of their council and city that may name them: other seats' history, meetings, committees' descriptions,
        # elections' titles, the audit log.
        councils = Council.objects.filter(terms__memberships__person=person).distinct()
        others = MembershipChange.objects.filter(membership__term__council__in=councils)
        _scrub_rows(others.exclude(membership__person=person), ["reason", "changes"], shared, erased)
        seated = Membership.objects.filter(term__council__in=councils).exclude(person=person)
        _scrub_rows(seated, ["end_reason"], shared, erased)
        meetings = Meeting.objects.filter(council__in=councils)
        _scrub_rows(meetings, ["title", "place", "agenda", "minutes"], shared, erased)
        _scrub_rows(Committee.objects.filter(council__in=councils), ["description"], shared, erased)
        _scrub_rows(Election.objects.filter(council__in=councils), ["title"], shared, erased)
        _scrub_rows(AuditEntry.objects.filter(city_id=person.city_id).exclude(about), ["data"], shared, erased)
        reason = _scrub(reason, own, erased)
    for membership in person.memberships.all():
        MembershipChange.objects.create(
            membership=membership,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            action="erase",
            reason=str(_("Personal data erased on request.")),
        )
    audit_record(actor=actor, action="person.erase", target=person, city=person.city, data={"reason": reason})
    erasures.journal_record(kind="councils.person", pk=person.pk)  # so that a restore cannot bring them back
    # Files made before the erasure may hold the person: their download links stop serving now (this transaction's
    # own reads) and again once it commits (an export that read the person while it ran). Without the cache, no
    # erasure: a link made before could be served again once the cache is back.
    try:
        export_links_revoke(city_id=person.city_id)
    except Exception as exc:  # the cache backend's own errors (Redis down)
        raise CouncilError(
            _("The erasure could not withdraw the download links of earlier exports. Nothing was erased; try again."),
            code="cache",
        ) from exc
    export_links_revoke_on_commit(city_id=person.city_id)
    return person


# --- Roster import --------------------------------------------------------------------------------------------

ERROR_COLUMNS = {
    "full_name": "full_name",
    "phone": "phone",
    "email": "email",
    "district": "district",
    "date_of_birth": "date_of_birth",
    "guardian": "guardian_consent",
    "duplicate": "full_name",
    "president": "role",
    "committee": "committees",
    "dates": "ends_on",
    "choice": "",
    "required": "",
}


@transaction.atomic
def roster_import(*, term: Term, data: bytes, filename: str, actor: User | None) -> list[Membership]:
    """Import a roster file (CSV or .xlsx, the export's columns) into term.

    Every row is checked first; each problem is reported as (row, column, message), the row numbered as in a
    spreadsheet (the header is row 1). With any problem nothing is imported. Raises RosterImportError.
    """
    from . import rosters
    from .errors import RosterImportError

    council = term.council
    try:
        frame = rosters.read_table(data, filename)
    except rosters.FileProblem as problem:
        raise RosterImportError([(None, "", problem.message)]) from None
    missing = [c for c in rosters.REQUIRED if c not in frame.columns]
    if missing:
        raise RosterImportError([(1, c, _("This column is missing.")) for c in missing])
    if frame.empty:
        raise RosterImportError([(None, "", _("The file has no rows."))])
    if len(frame) > rosters.MAX_ROWS:
        raise RosterImportError([(None, "", _("A file may hold at most %(n)d rows.") % {"n": rosters.MAX_ROWS})])
    districts = rosters.district_lookup(council.city)
    committees = {c.name.lower(): c for c in council.committees.all()}
    problems: list[tuple[int | None, str, str | Promise]] = []
    parsed: list[tuple[int, dict]] = []
    seen: dict[tuple, int] = {}
    for index, raw in enumerate(frame.to_dict("records")):
        row_number = index + 2
        cell = {c: raw.get(c, "") for c in rosters.COLUMNS}
        values: dict = {}
        row_problems: list[tuple[int | None, str, str | Promise]] = []

        def check(
            column: str,
            parse: Callable[[str], Any],
            row_problems: list[tuple[int | None, str, str | Promise]] = row_problems,
            values: dict = values,
            cell: dict[str, str] = cell,
            row_number: int = row_number,
        ) -> None:
            try:
                values[column] = parse(cell[column])
            except rosters.FileProblem as problem:
                row_problems.append((row_number, column, problem.message))

        for column in REQUIRED_TEXT:
            if not cell[column]:
                row_problems.append((row_number, column, _("This cell is empty.")))
        for column in ("gender", "age_band", "role", "selection_method", "status"):
            check(column, functools.partial(rosters.parse_choice, column=column))
        for column in ("date_of_birth", "starts_on", "ends_on"):
            check(column, rosters.parse_date)
        check("guardian_consent", rosters.parse_yes_no)
        if cell["district"] and cell["district"].lower() not in districts:
            row_problems.append(
                (
                    row_number,
                    "district",
                    _("“%(value)s” is not one of the city's districts.") % {"value": cell["district"]},
                )
            )
        wanted = [name.strip() for name in cell["committees"].split(";") if name.strip()]
        unknown = [name for name in wanted if name.lower() not in committees]
        if unknown:
            row_problems.append(
                (row_number, "committees", _("Unknown committee: %(names)s") % {"names": ", ".join(unknown)})
            )
        status = values.get("status") or MembershipStatus.ACTIVE
        if status not in SEATED_STATUSES:
            row_problems.append((row_number, "status", _("Import seated members only (active or suspended).")))
        key = (cell["full_name"].lower(), cell["phone"] or cell["date_of_birth"])
        if key in seen:
            row_problems.append((row_number, "full_name", _("Same person as row %(row)d.") % {"row": seen[key]}))
        seen.setdefault(key, row_number)
        if row_problems:
            problems.extend(row_problems)
            continue
        parsed.append(
            (
                row_number,
                {
                    "full_name": cell["full_name"],
                    "gender": values["gender"],
                    "date_of_birth": values["date_of_birth"],
                    "age_band": values["age_band"],
                    "district": districts.get(cell["district"].lower()),
                    "organisation": cell["organisation"],
                    "phone": cell["phone"],
                    "email": cell["email"],
                    "role": values["role"],
                    "selection_method": values["selection_method"],
                    "starts_on": values["starts_on"],
                    "ends_on": values["ends_on"],
                    "committees": [committees[n.lower()] for n in wanted],
                    "guardian_consent": values["guardian_consent"],
                    "status": status,
                },
            )
        )
    created = []
    for row_number, fields in parsed:
        status = fields.pop("status")
        try:
            with transaction.atomic():
                membership = membership_add(
                    term=term, actor=actor, reason=str(_("Imported from %(file)s") % {"file": filename}), **fields
                )
                if status != MembershipStatus.ACTIVE:
                    membership = membership_update(
                        membership=membership, actor=actor, status=status, reason=str(_("Imported"))
                    )
            created.append(membership)
        except CouncilError as error:
            problems.append((row_number, ERROR_COLUMNS.get(error.code or "", ""), error.detail))
    if problems:
        transaction.set_rollback(True)
        raise RosterImportError(sorted(problems, key=lambda p: (p[0] or 0, p[1])))
    audit_record(
        actor=actor,
        action="roster.import",
        target=term,
        city=council.city,
        data={"file": filename, "rows": len(created)},
    )
    return created


REQUIRED_TEXT = ("full_name", "gender", "district", "role", "selection_method", "starts_on")
