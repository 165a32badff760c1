"""Every write of consultations and live sessions. Views, the API, forms and sockets call these only.

Each write that a screen can see bumps the session's `version` in the same transaction and, once committed,
tells the real-time channel (live/hub.py: session_changed). The database is the only truth.
"""

import copy
import functools
import hashlib
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, TextChoices
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cities.errors import formatted
from cities.models import City, District, User
from cities.services import audit_record

from . import joins
from .errors import (
    ConsentRequired,
    IdempotencyKeyReused,
    InvalidInput,
    JoinRefused,
    MergeAlreadyUndone,
    MergeUndoBlocked,
    RoomFull,
    SessionClosed,
    SessionError,
    SessionNotFound,
    TooManyPoints,
    UnknownItem,
    UnknownParticipant,
    WrongPhase,
)
from .live import rows as ballot_rows
from .live.hub import session_changed
from .live.locks import lock_in_order, tally_add
from .models import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    MODERATION_RESULTS,
    PHASE_ORDER,
    AgeBand,
    Ballot,
    Consultation,
    Gender,
    HideReason,
    Item,
    ItemKind,
    ItemMerge,
    ItemStatus,
    JoinCode,
    JoinPolicy,
    Organisation,
    Participant,
    Phase,
    Session,
    Theme,
    VotingMethod,
)
from .screening import screen_text

ITEM_TEXT_MIN = 3
ITEM_TEXT_MAX = 500


def normalise_join_code(code: str) -> str:
    """Upper case, without spaces or dashes: what a person types from the projector."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def join_code_generate() -> str:
    """A fresh code that no session has ever had."""
    for _attempt in range(50):
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if not JoinCode.objects.filter(code=code).exists():
            return code
    raise RuntimeError("Could not find a free join code.")  # 23**6 codes: practically unreachable


def breakdowns_withhold(*, session: Session, kind: str | None = None) -> bool:
    """Withhold the session's breakdowns by group for good if ballots counted while no voting phase of ``kind`` (any
    kind when None) was open exist: a change to them now (reopened voting, ballots set aside or restored, a merge)
    would let breakdowns read before and after it be subtracted (cities.disclosure; docs/privacy.md). Call it inside
    the transaction of the change, with the session's row locked. Returns whether they are withheld."""
    if session.breakdowns_withheld:
        return True
    ballots = Ballot.objects.filter(session=session)
    if kind is not None:
        ballots = ballots.filter(item__kind=kind)
    if not ballots.exists():
        return False
    Session.objects.filter(pk=session.pk).update(breakdowns_withheld=True)
    session.breakdowns_withheld = True
    return True


def _bump(session: Session) -> int:
    """Raise the session's version and tell screens once the transaction commits. Returns the new version: once
    committed, every state of that version or later contains this transaction's writes (session_snapshot reads
    the version first)."""
    return _bump_sent(session)()


def _bump_sent(session: Session) -> Callable[[], int]:
    """_bump as a statement sent (ballot_rows.round_trip): returns a function that reads the new version."""
    table, version, pk = (connection.ops.quote_name(name) for name in (Session._meta.db_table, "version", "id"))
    # UPDATE … RETURNING (PostgreSQL, SQLite ≥ 3.35): no second round trip
    rows = ballot_rows.sent(
        f"UPDATE {table} SET {version} = {version} + 1 WHERE {pk} = %s RETURNING {version}",  # noqa: S608
        [session.pk],
    )
    session_changed(session.pk)

    def new_version() -> int:
        found = rows()
        return found[0][0] if found else session.version

    return new_version


# --- Consultations and sessions (facilitators) -----------------------------------------------------------


@transaction.atomic
def consultation_create(
    *,
    city: City,
    title: str,
    created_by: User | None,
    description: str = "",
    themes: Iterable[str] = (),
    participants_may_be_minors: bool = True,
    ask_age_band: bool = True,
    ask_gender: bool = True,
    ask_district: bool = True,
    ask_organisation: bool = False,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Consultation:
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("A consultation needs a title."))
    consultation = Consultation.objects.create(
        city=city,
        title=title,
        description=description,
        participants_may_be_minors=participants_may_be_minors,
        ask_age_band=ask_age_band,
        ask_gender=ask_gender,
        ask_district=ask_district,
        ask_organisation=ask_organisation,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=created_by,
    )
    for name in {t.strip() for t in themes if t.strip()}:
        Theme.objects.create(consultation=consultation, name=name)
    audit_record(actor=created_by, action="consultation.create", target=consultation, city=city)
    return consultation


def _clean_phases(phases: Iterable[str] | None) -> list[str]:
    chosen = set(phases or PHASE_ORDER)
    unknown = chosen - set(PHASE_ORDER)
    if unknown:
        raise InvalidInput(formatted(_("Unknown phase: %(phase)s."), phase=", ".join(sorted(unknown))))
    # Every session starts in the lobby and can be closed.
    chosen |= {Phase.LOBBY, Phase.CLOSED}
    return [p for p in PHASE_ORDER if p in chosen]


def _check_dot_settings(dot_points: int, dot_max_per_item: int) -> None:
    if dot_points < 1 or dot_max_per_item < 1:
        raise InvalidInput(_("Dot voting needs at least one point."))
    if dot_max_per_item > dot_points:
        raise InvalidInput(_("The most points on one item cannot exceed the points per participant."))


@transaction.atomic
def session_create(
    *,
    consultation: Consultation,
    title: str,
    created_by: User | None,
    phases: Iterable[str] | None = None,
    challenge_voting_method: str = VotingMethod.APPROVAL,
    proposal_voting_method: str = VotingMethod.APPROVAL,
    dot_points: int = 5,
    dot_max_per_item: int = 3,
    premoderation: bool | None = None,
    capacity: int | None = None,
    place: str = "",
    district: District | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    join_policy: str = JoinPolicy.OPEN,
) -> Session:
    """Create a session in its lobby with a fresh join code.

    Pre-moderation defaults to on when the consultation's participants may be minors.
    Raises InvalidInput.
    """
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("A session needs a title."))
    for method in (challenge_voting_method, proposal_voting_method):
        if method not in VotingMethod.values:
            raise InvalidInput(_("Unknown voting method."))
    _check_dot_settings(dot_points, dot_max_per_item)
    if district is not None and district.city_id != consultation.city_id:
        raise InvalidInput(_("This district belongs to another city."))
    if join_policy not in JoinPolicy.values:
        raise InvalidInput(_("Unknown join policy."))
    if premoderation is None:
        premoderation = consultation.participants_may_be_minors
    session = Session.objects.create(
        consultation=consultation,
        title=title,
        phases=_clean_phases(phases),
        challenge_voting_method=challenge_voting_method,
        proposal_voting_method=proposal_voting_method,
        dot_points=dot_points,
        dot_max_per_item=dot_max_per_item,
        premoderation=premoderation,
        capacity=capacity or None,
        place=place,
        district=district,
        starts_at=starts_at,
        ends_at=ends_at,
        join_policy=join_policy,
        join_code=join_code_generate(),
    )
    JoinCode.objects.create(code=session.join_code, session=session)
    audit_record(actor=created_by, action="session.create", target=session, city=consultation.city)
    return session


@transaction.atomic
def session_configure(*, session: Session, actor: User | None, **changes: Any) -> Session:
    """Change a session's settings (title, place, phases, voting methods, points, moderation, capacity).

    Voting settings cannot change once ballots exist for that kind of item. Raises InvalidInput.
    """
    session = Session.objects.select_for_update().get(pk=session.pk)
    allowed = {
        "title",
        "place",
        "district",
        "starts_at",
        "ends_at",
        "capacity",
        "premoderation",
        "phases",
        "challenge_voting_method",
        "proposal_voting_method",
        "dot_points",
        "dot_max_per_item",
        "join_policy",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(
            formatted(_("These settings cannot be changed: %(names)s."), names=", ".join(sorted(unknown)))
        )
    if "phases" in changes:
        changes["phases"] = _clean_phases(changes["phases"])
        if session.phase not in changes["phases"]:
            raise InvalidInput(_("The session is in a phase you are removing; move it first."))
    voting_fields = {"challenge_voting_method", "proposal_voting_method", "dot_points", "dot_max_per_item"}
    if voting_fields & set(changes) and Ballot.objects.filter(session=session).exists():
        current = {f: getattr(session, f) for f in voting_fields}
        if any(changes.get(f, current[f]) != current[f] for f in voting_fields):
            raise InvalidInput(_("Voting settings cannot change once votes have been cast."))
    _check_dot_settings(
        changes.get("dot_points", session.dot_points), changes.get("dot_max_per_item", session.dot_max_per_item)
    )
    if "join_policy" in changes and changes["join_policy"] not in JoinPolicy.values:
        raise InvalidInput(_("Unknown join policy."))
    if "title" in changes and not (changes["title"] or "").strip():
        raise InvalidInput(_("A session needs a title."))
    if changes.get("capacity") == 0:
        changes["capacity"] = None
    for field, value in changes.items():
        setattr(session, field, value)
    session.save()
    audit_record(
        actor=actor,
        action="session.configure",
        target=session,
        city=session.consultation.city,
        data={k: str(v) for k, v in changes.items()},
    )
    _bump(session)
    return session


@transaction.atomic
def session_set_phase(*, session: Session, phase: str, actor: User | None) -> Session:
    """Move the session to any phase it uses, forwards or back. Raises WrongPhase."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    if phase not in session.phases:
        raise WrongPhase(formatted(_("This session does not use the phase “%(phase)s”."), phase=phase))
    if phase == session.phase:
        return session
    previous = session.phase
    voted_in: dict[str, str] = {Phase.CHALLENGE_VOTING: ItemKind.CHALLENGE, Phase.PROPOSAL_VOTING: ItemKind.PROPOSAL}
    reopened = voted_in.get(phase)
    if reopened is not None:  # ballots of this kind already exist: its voting was open before, and closed
        breakdowns_withhold(session=session, kind=reopened)
    session.phase = phase
    fields = ["phase"]
    if phase == Phase.RESULTS and not session.results_visible:
        session.results_visible = True
        fields.append("results_visible")
    session.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="session.phase",
        target=session,
        city=session.consultation.city,
        data={"from": previous, "to": phase},
    )
    _bump(session)
    return session


@transaction.atomic
def session_set_lock(*, session: Session, locked: bool, actor: User | None) -> Session:
    Session.objects.filter(pk=session.pk).update(locked=locked)
    session.locked = locked
    audit_record(
        actor=actor,
        action="session.lock" if locked else "session.unlock",
        target=session,
        city=session.consultation.city,
    )
    _bump(session)
    return session


@transaction.atomic
def session_rotate_code(*, session: Session, actor: User | None) -> Session:
    """Give the session a new join code; the old one stops admitting new participants at once."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    old = session.join_code
    JoinCode.objects.filter(session=session, retired_at__isnull=True).update(retired_at=timezone.now())
    session.join_code = join_code_generate()
    session.save(update_fields=["join_code"])
    JoinCode.objects.create(code=session.join_code, session=session)
    audit_record(
        actor=actor, action="session.rotate_code", target=session, city=session.consultation.city, data={"retired": old}
    )
    _bump(session)
    return session


@transaction.atomic
def session_show_results(*, session: Session, visible: bool, actor: User | None) -> Session:
    Session.objects.filter(pk=session.pk).update(results_visible=visible)
    session.results_visible = visible
    audit_record(
        actor=actor,
        action="session.results_shown" if visible else "session.results_hidden",
        target=session,
        city=session.consultation.city,
    )
    _bump(session)
    return session


@transaction.atomic
def session_publish(*, session: Session, actor: User | None) -> Session:
    """Close the session and publish its results (they appear on the consultation's public page)."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    session.phase = Phase.CLOSED
    session.results_visible = True
    session.published_at = session.published_at or timezone.now()
    session.save(update_fields=["phase", "results_visible", "published_at"])
    audit_record(actor=actor, action="session.publish", target=session, city=session.consultation.city)
    _bump(session)
    return session


# --- Participants -----------------------------------------------------------------------------------------


def session_by_code(code: str, *, current_only: bool = False) -> Session:
    """The session a join code names. Retired codes still name their session unless current_only.

    Raises SessionNotFound.
    """
    code = normalise_join_code(code)
    try:
        join_code = JoinCode.objects.select_related("session__consultation__city").get(code=code)
    except JoinCode.DoesNotExist:
        raise SessionNotFound from None
    if current_only and join_code.retired_at is not None:
        raise SessionNotFound(_("This code has been replaced. Scan the QR code on the screen again."))
    return join_code.session


def _choice(value: str | None, choices: type[TextChoices], label: str | Promise) -> str:
    if value in (None, ""):
        return ""
    if value not in choices.values:
        raise InvalidInput(
            formatted(_("“%(value)s” is not a valid answer for %(question)s."), value=value, question=label)
        )
    return value


@transaction.atomic
def participant_join(
    *,
    code: str,
    consent: bool,
    age_band: str | None = None,
    gender: str | None = None,
    district: int | str | None = None,
    organisation: str | None = None,
    language: str = "",
    device: str | None = None,
    address: str = "",
    room_code: str | None = None,
    card: str | None = None,
) -> Participant:
    """Admit an anonymous participant with the session's current join code, as the session's join policy allows
    (consultations/joins.py): a device id or a card already used resumes the participant it admitted instead.

    Only the profile questions the consultation asks are stored; each accepts "unsaid". address is where the
    request came from (kept only as a keyed hash). Whether the participant was resumed: `participant.resumed`.
    Raises SessionNotFound, ConsentRequired, JoinRefused, SessionClosed, RoomFull, InvalidInput.
    """
    (result,) = participant_join_many(
        [
            {
                "code": code,
                "consent": consent,
                "age_band": age_band,
                "gender": gender,
                "district": district,
                "organisation": organisation,
                "language": language,
                "device": device,
                "address": address,
                "room_code": room_code,
                "card": card,
            }
        ]
    )
    if isinstance(result, Exception):
        raise result
    return result


def participant_join_many(requests: list[dict]) -> list[Participant | Exception]:
    """participant_join for a group of requests: each session's row is locked once, its participants are inserted
    in one statement and its version rises once.

    The ballot box (live/writer.py) hands each group commit's run of joins here (a room joining at once would
    otherwise queue on the session's row, one transaction each). requests are participant_join's keyword
    arguments in arrival order; the result at each position is the participant admitted (or resumed) or the error
    participant_join raises, as if the requests had run one after the other (tests/consultations/test_join_many.py).
    Must run inside a transaction.
    """
    results: list[Participant | Exception | None] = [None] * len(requests)
    sessions: dict[str, Session | SessionError] = {}  # code -> its session, or why it admits nobody
    districts: dict[tuple[int, object], District | None] = {}
    admitted: dict[int, list[tuple[int, dict]]] = {}  # session -> (position, participant fields), in order
    for index, request in enumerate(requests):
        try:
            session, fields = _join_fields(sessions, districts, **request)
        except SessionError as exc:
            results[index] = exc
            continue
        admitted.setdefault(session.pk, []).append((index, fields))
    now = timezone.now()
    for session_id in sorted(admitted):  # a fixed lock order across groups
        # The row lock makes the headcount cap, the cards and the devices hold under parallel joins.
        session = Session.objects.select_for_update().get(pk=session_id)
        resumed, refused = joins.admit(session, admitted[session_id])
        free = None
        if session.capacity is not None:
            free = session.capacity - Participant.objects.filter(session=session).count()
        new: list[tuple[int, dict, Participant]] = []
        first: dict[str, int] = {}  # a device key or card -> the position admitted with it in this group
        repeats: dict[int, int] = {}  # position -> the earlier position of this group it resumes
        for index, fields in admitted[session_id]:
            again = first.get(joins.resume_key(session, fields))
            if session.is_closed:
                results[index] = SessionClosed()
            elif index in refused:
                results[index] = refused[index]
            elif index in resumed:
                results[index] = _resumed(resumed[index])
            elif again is not None:
                repeats[index] = again
            elif session.locked:
                results[index] = JoinRefused(_("The facilitator has locked this session: nobody new may join."))
            elif free is not None and free <= 0:
                results[index] = RoomFull()
            else:
                if free is not None:
                    free -= 1
                if joins.resume_key(session, fields):
                    first[joins.resume_key(session, fields)] = index
                participant = Participant(
                    session=session,
                    consented_at=now,
                    join_policy=session.join_policy,
                    **joins.participant_fields(session, fields),
                )
                new.append((index, fields, participant))
        if new:
            participants = Participant.objects.bulk_create([participant for _, _, participant in new])
            for (index, _fields, _participant), participant in zip(new, participants, strict=True):
                participant.resumed = False
                results[index] = participant
            joins.admitted(session, [(i, f, p) for (i, f, _), p in zip(new, participants, strict=True)])
            _bump(session)
        for index, earlier in repeats.items():
            results[index] = _resumed(results[earlier])  # type: ignore[arg-type]
    return results  # type: ignore[return-value]


def _resumed(participant: Participant) -> Participant:
    resumed = copy.copy(participant)
    resumed.resumed = True
    return resumed


def _join_fields(
    sessions: dict,
    districts: dict,
    *,
    code: str,
    consent: bool,
    age_band: str | None = None,
    gender: str | None = None,
    district: int | str | None = None,
    organisation: str | None = None,
    language: str = "",
    device: str | None = None,
    address: str = "",
    room_code: str | None = None,
    card: str | None = None,
) -> tuple[Session, dict]:
    """Check one join request before any lock: (its session, the participant's fields, with the join policy's
    request fields in joins.REQUEST_ONLY). Raises SessionError."""
    if code not in sessions:
        try:
            sessions[code] = session_by_code(code, current_only=True)
        except SessionError as exc:
            sessions[code] = exc
    session = sessions[code]
    if isinstance(session, SessionError):
        raise copy.copy(session)
    if consent is not True:
        raise ConsentRequired
    consultation = session.consultation
    fields = {
        "age_band": _choice(age_band, AgeBand, _("age band")) if consultation.ask_age_band else "",
        "gender": _choice(gender, Gender, _("gender")) if consultation.ask_gender else "",
        "organisation": _choice(organisation, Organisation, _("organisation")) if consultation.ask_organisation else "",
        "district": None,
        "language": (language or "")[:8],
        **joins.request_fields(session, device=device, address=address, room_code=room_code, card=card),
    }
    if consultation.ask_district and district not in (None, "", "unsaid"):
        try:
            key = (consultation.city_id, int(district))  # type: ignore[arg-type]  # None is excluded above
        except (TypeError, ValueError):
            raise InvalidInput(_("This district is not one of the city's districts.")) from None
        if key not in districts:
            districts[key] = District.objects.filter(pk=key[1], city_id=consultation.city_id).first()
        if districts[key] is None:
            raise InvalidInput(_("This district is not one of the city's districts."))
        fields["district"] = districts[key]
    return session, fields


# --- Items ------------------------------------------------------------------------------------------------


@transaction.atomic
def item_submit(
    *, participant: Participant, kind: str, text: str, answers: Iterable[int] = (), theme: int | None = None
) -> Item:
    """Submit a challenge or a proposal in the phase that accepts it.

    Held for moderation when the session pre-moderates or the automatic screen flags it.
    Raises UnknownParticipant, SessionClosed, WrongPhase, InvalidInput, UnknownItem.
    """
    if not Participant.objects.filter(pk=participant.pk, session_id=participant.session_id).exists():
        raise UnknownParticipant  # erased since its token was signed
    session = Session.objects.get(pk=participant.session_id)
    if session.is_closed:
        raise SessionClosed
    if kind not in ItemKind.values:
        raise InvalidInput(_("Unknown kind of item."))
    if session.submission_kind != kind:
        raise WrongPhase(_("The session is not collecting this kind of submission now."))
    text = " ".join((text or "").split())
    if len(text) < ITEM_TEXT_MIN:
        raise InvalidInput(formatted(_("Please write a little more (at least %(n)d characters)."), n=ITEM_TEXT_MIN))
    if len(text) > ITEM_TEXT_MAX:
        raise InvalidInput(formatted(_("Please keep it under %(n)d characters."), n=ITEM_TEXT_MAX))
    theme_obj = None
    if theme:
        theme_obj = Theme.objects.filter(pk=theme, consultation_id=session.consultation_id).first()
        if theme_obj is None:
            raise InvalidInput(_("Unknown theme."))
    challenge_ids = []
    if kind == ItemKind.PROPOSAL and answers:
        try:
            answers = {int(a) for a in answers}
        except (TypeError, ValueError):
            raise UnknownItem from None
        challenge_ids = list(
            Item.objects.filter(pk__in=answers, session=session, kind=ItemKind.CHALLENGE).values_list("pk", flat=True)
        )
        if len(challenge_ids) != len(answers):
            raise UnknownItem
    flags = screen_text(text, set(getattr(settings, "MAJLIS_SCREEN_EXTRA_WORDS", ())))
    status = ItemStatus.PENDING if session.premoderation or flags else ItemStatus.APPROVED
    item = Item.objects.create(
        session=session,
        kind=kind,
        text=text,
        original_text=text,
        author=participant,
        status=status,
        flags=flags,
        theme=theme_obj,
    )
    if challenge_ids:
        item.answers.set(challenge_ids)
    _bump(session)
    return item


HIDE_NOTE_MAX = 200
MODERATE_MANY_MAX = 500


def _hide_reason(action: str, reason: str, note: str, *, required: bool) -> dict:
    """The reason an audit record keeps for a hide: {"reason": <HideReason>, "note": "..."}, or {} for an approve.
    Raises InvalidInput for an unknown reason, a missing one (when required), or a note too long."""
    if action != "hide":
        return {}
    note = " ".join((note or "").split())
    if len(note) > HIDE_NOTE_MAX:
        raise InvalidInput(formatted(_("Keep the reason under %(n)d characters."), n=HIDE_NOTE_MAX))
    if not reason and not required:
        return {"note": note} if note else {}
    if reason not in HideReason.values:
        raise InvalidInput(_("Choose why these items are hidden."))
    if reason == HideReason.OTHER and not note:
        raise InvalidInput(_("Say in a few words why these items are hidden."))
    return {"reason": reason, "note": note}


@transaction.atomic
def item_moderate(*, item: Item, action: str, actor: User | None, reason: str = "", note: str = "") -> Item:
    """Approve or hide an item: one of item.moderation_actions, the actions the console offers. The action that
    would give the status the item already has changes nothing (a retried request answers as the first did).
    A hide may give a reason (HideReason) and a note, kept in the audit record.
    Raises InvalidInput for another action, an unknown reason, or for a merged item."""
    if action not in MODERATION_RESULTS:
        raise InvalidInput(_("Moderation actions are “approve” and “hide”."))
    why = _hide_reason(action, reason, note, required=False)
    item = Item.objects.select_for_update().select_related("session__consultation").get(pk=item.pk)
    if item.status == ItemStatus.MERGED:
        raise InvalidInput(_("This item was merged into another; moderate that one."))
    if action not in item.moderation_actions:
        return item
    previous = item.status
    item.status = MODERATION_RESULTS[action]
    item.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action=f"item.{action}",
        target=item,
        city=item.session.consultation.city,
        data={"from": previous, **why},
    )
    _bump(item.session)
    return item


@transaction.atomic
def items_moderate(
    *, session: Session, item_ids: Iterable[int], action: str, actor: User | None, reason: str = "", note: str = ""
) -> list[Item]:
    """Approve or hide many items of session at once: one transaction, one audit record per item changed, one
    version bump (screens redraw once). Hiding needs a reason (HideReason; `note` is required for "other"), kept in
    the audit record of every item hidden. Items that already have the status the action gives are left as they
    are (a retry changes nothing). Returns the items, in id order.

    Raises InvalidInput (unknown action or reason, no items, too many, a merged item) and UnknownItem (an id that
    is not an item of session); a refusal changes nothing."""
    if action not in MODERATION_RESULTS:
        raise InvalidInput(_("Moderation actions are “approve” and “hide”."))
    why = _hide_reason(action, reason, note, required=True)
    try:
        ids = sorted({int(pk) for pk in item_ids})
    except (TypeError, ValueError):
        raise UnknownItem from None
    if not ids:
        raise InvalidInput(_("Select at least one item."))
    if len(ids) > MODERATE_MANY_MAX:
        raise InvalidInput(formatted(_("Select at most %(n)d items at once."), n=MODERATE_MANY_MAX))
    # The session's row, then the items in id order: the lock order of every writer (live/locks.py).
    session = Session.objects.select_for_update().select_related("consultation__city").get(pk=session.pk)
    items = list(Item.objects.select_for_update().filter(session=session, pk__in=ids).order_by("pk"))
    if len(items) != len(ids):
        raise UnknownItem
    if any(item.status == ItemStatus.MERGED for item in items):
        raise InvalidInput(_("This item was merged into another; moderate that one."))
    status = MODERATION_RESULTS[action]
    changed = [item for item in items if item.status != status]
    if not changed:
        return items
    city = session.consultation.city
    for item in changed:
        audit_record(
            actor=actor,
            action=f"item.{action}",
            target=item,
            city=city,
            data={"from": item.status, "bulk": len(changed), **why},
        )
        item.status = status
    Item.objects.filter(pk__in=[item.pk for item in changed]).update(status=status)
    _bump(session)
    return items


@transaction.atomic
def item_edit(*, item: Item, text: str, actor: User | None) -> Item:
    """Correct an item's text (a typo); the change is logged and the text as submitted is kept."""
    text = " ".join((text or "").split())
    if not (ITEM_TEXT_MIN <= len(text) <= ITEM_TEXT_MAX):
        raise InvalidInput(
            formatted(
                _("The text must have between %(min)d and %(max)d characters."), min=ITEM_TEXT_MIN, max=ITEM_TEXT_MAX
            )
        )
    item = Item.objects.select_for_update().select_related("session__consultation").get(pk=item.pk)
    before = item.text
    item.text = text
    item.save(update_fields=["text"])
    audit_record(
        actor=actor,
        action="item.edit",
        target=item,
        city=item.session.consultation.city,
        data={"before": before, "after": text},
    )
    _bump(item.session)
    return item


def _lock_voters_of(session_id: int, item_ids: Iterable[int]) -> None:
    """Lock, in the shared order (live/locks.py), the rows of the participants with a ballot on these items, then
    the session's row. Once the session's row is held no ballot can commit (every ballot writer bumps the version
    first), so the voters are read again: one whose ballot committed between the first read and the lock is added
    and the locks taken again (released first, through a savepoint: locking a participant after the session would
    be the wrong order)."""
    ballots = Ballot.objects.filter(item_id__in=list(item_ids))
    voters: set[int] = set()
    for _attempt in range(50):
        voters |= set(ballots.values_list("participant_id", flat=True))
        savepoint = transaction.savepoint()
        lock_in_order(voters, [session_id])
        list(Session.objects.select_for_update().filter(pk=session_id).values_list("pk", flat=True))  # SQLite
        if set(ballots.values_list("participant_id", flat=True)) <= voters:
            transaction.savepoint_commit(savepoint)
            return
        transaction.savepoint_rollback(savepoint)
    raise RuntimeError("The voters of these items kept changing.")  # a room casting ballots faster than we lock


@transaction.atomic
def items_merge(*, source: Item, target: Item, actor: User | None) -> Item:
    """Merge a duplicate (source) into target, moving its ballots.

    A participant who voted for both keeps one ballot on target with the points added up, capped at what one
    item may receive (the points over the cap go back to the participant). The merge is recorded (ItemMerge, with
    every ballot moved and the statuses before) so that items_merge_undo can put everything back; the record's id
    is set on the returned item as `merge_id`. Raises InvalidInput.
    """
    if source.pk == target.pk or source.session_id != target.session_id or source.kind != target.kind:
        raise InvalidInput(_("Only two different items of the same kind and session can be merged."))
    # The voters' rows, the session's row, then both items in id order: the lock order of every ballot writer.
    _lock_voters_of(source.session_id, [source.pk, target.pk])
    locked = Item.objects.select_for_update().select_related("session__consultation").order_by("pk")
    items = {item.pk: item for item in locked.filter(pk__in=[source.pk, target.pk])}
    source, target = items[source.pk], items[target.pk]
    if ItemStatus.MERGED in (source.status, target.status):
        raise InvalidInput(_("This item was already merged."))
    session = source.session
    if session.voting_kind != source.kind and Ballot.objects.filter(item__in=[source, target]).exists():
        breakdowns_withhold(session=session, kind=source.kind)
    cap = session.max_points_on_item(source.kind)
    target_ballots = {b.participant_id: b for b in Ballot.objects.select_for_update().filter(item=target)}
    moved = 0  # points the target gains
    removed = 0  # points the source loses
    record: list[list[int]] = []  # [participant, on source before, on target before, on target after]
    for ballot in Ballot.objects.select_for_update().filter(item=source).order_by("participant_id"):
        removed += ballot.points
        existing = target_ballots.get(ballot.participant_id)
        if existing is None:
            ballot.item = target
            ballot.save(update_fields=["item", "updated_at"])
            moved += ballot.points
            record.append([ballot.participant_id, ballot.points, 0, ballot.points])
        else:
            combined = min(cap, existing.points + ballot.points)
            moved += combined - existing.points
            record.append([ballot.participant_id, ballot.points, existing.points, combined])
            existing.points = combined
            existing.save(update_fields=["points", "updated_at"])
            ballot.delete()
    tally_add({source.pk: -removed, target.pk: moved})
    source_status, target_status = source.status, target.status
    source.status = ItemStatus.MERGED
    source.merged_into = target
    source.save(update_fields=["status", "merged_into"])
    if target.status != ItemStatus.APPROVED and source_status == ItemStatus.APPROVED:
        target.status = ItemStatus.APPROVED
        target.save(update_fields=["status"])
    merge = ItemMerge.objects.create(
        session=session,
        source=source,
        target=target,
        actor=actor if actor is not None and actor.is_authenticated else None,
        source_status=source_status,
        target_status=target_status,
        target_status_after=target.status,
        ballots=record,
    )
    audit_record(
        actor=actor,
        action="item.merge",
        target=target,
        city=session.consultation.city,
        data={"merged": source.pk, "merge": merge.pk, "ballots": len(record)},
    )
    _bump(session)
    target.merge_id = merge.pk  # type: ignore[attr-defined]  # not a column: the record of this merge
    return target


class MergeUndone(NamedTuple):
    merge: ItemMerge
    restored: int  # participants whose ballots are back exactly as they were before the merge
    not_restored: int  # participants whose ballots could not all be put back (see items_merge_undo)


@transaction.atomic
def items_merge_undo(*, merge: ItemMerge, actor: User | None) -> MergeUndone:
    """Undo a merge: the duplicate comes back with its status and, for each participant who had a ballot on it,
    the ballots on both items as they were before the merge, with the tallies.

    A participant whose ballot on the item kept changed after the merge (voted again, withdrew) keeps that ballot as
    it is now: it is their latest choice. Their ballot on the duplicate comes back as far as their points allow
    (dot voting: the points per participant and per item; a participant whose ballots are set aside gets nothing
    back now). Those participants are counted in `not_restored` when they get back less than they had.

    Merges are undone newest first: raises MergeUndoBlocked when a later merge (not undone) involves either item,
    MergeAlreadyUndone when this one was undone.
    """
    participant_ids = [row[0] for row in merge.ballots]
    lock_in_order(participant_ids, [merge.session_id])
    session = Session.objects.select_for_update().select_related("consultation__city").get(pk=merge.session_id)
    merge = ItemMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise MergeAlreadyUndone
    items = {
        item.pk: item
        for item in Item.objects.select_for_update().filter(pk__in=[merge.source_id, merge.target_id]).order_by("pk")
    }
    source, target = items[merge.source_id], items[merge.target_id]
    later = ItemMerge.objects.filter(session=session, undone_at__isnull=True, pk__gt=merge.pk)
    if (
        source.status != ItemStatus.MERGED
        or source.merged_into_id != target.pk
        or target.status == ItemStatus.MERGED
        or later.filter(Q(source_id__in=list(items)) | Q(target_id__in=list(items))).exists()
    ):
        raise MergeUndoBlocked
    if session.voting_kind != source.kind and merge.ballots:
        breakdowns_withhold(session=session, kind=source.kind)
    kind = source.kind
    cap = session.max_points_on_item(kind)
    budget = session.points_for(kind)  # None: approval voting, one point per item and no total
    active = set(
        Participant.objects.filter(pk__in=participant_ids, set_aside_at__isnull=True).values_list("pk", flat=True)
    )
    on_target = {b.participant_id: b for b in Ballot.objects.select_for_update().filter(item=target)}
    # A ballot cast on the duplicate by a request that read it before the merge committed: kept, and topped up.
    on_source = {b.participant_id: b for b in Ballot.objects.select_for_update().filter(item=source)}
    spent: Counter = Counter()
    for participant_id, points in (
        Ballot.objects.filter(participant_id__in=participant_ids, item__kind=kind)
        .exclude(item=source)
        .values_list("participant_id", "points")
    ):
        spent[participant_id] += points
    tallies: Counter = Counter()
    new_ballots = []
    restored = not_restored = 0
    for participant_id, source_before, target_before, target_after in merge.ballots:
        if participant_id not in active:  # set aside since, or erased
            not_restored += 1
            continue
        current = on_target.get(participant_id)
        now = current.points if current is not None else 0
        exact = now == target_after
        if current is not None and exact and target_before != now:  # as the merge left it: put it back
            tallies[target.pk] += target_before - now
            spent[participant_id] += target_before - now
            if target_before:
                current.points = target_before
                current.save(update_fields=["points", "updated_at"])
            else:
                current.delete()
        room = cap if budget is None else min(cap, budget - spent[participant_id])
        points = max(0, min(source_before, room))
        straggler = on_source.get(participant_id)
        if straggler is not None:
            if points > straggler.points:
                tallies[source.pk] += points - straggler.points
                straggler.points = points
                straggler.save(update_fields=["points", "updated_at"])
            points = max(points, straggler.points)
        elif points:
            new_ballots.append(Ballot(session=session, participant_id=participant_id, item=source, points=points))
            tallies[source.pk] += points
        spent[participant_id] += points
        if exact and points == source_before:
            restored += 1
        elif points < source_before:
            not_restored += 1
        else:
            restored += 1  # changed on the item kept since, which stays as it is; the duplicate's ballot is back
    Ballot.objects.bulk_create(new_ballots)
    source.status = merge.source_status
    source.merged_into = None
    source.save(update_fields=["status", "merged_into"])
    if target.status == merge.target_status_after and target.status != merge.target_status:
        target.status = merge.target_status
        target.save(update_fields=["status"])
    merge.undone_at = timezone.now()
    merge.undone_by = actor if actor is not None and actor.is_authenticated else None
    merge.save(update_fields=["undone_at", "undone_by"])
    audit_record(
        actor=actor,
        action="item.merge_undo",
        target=source,
        city=session.consultation.city,
        data={"merge": merge.pk, "into": target.pk, "restored": restored, "not_restored": not_restored},
    )
    _bump(session)
    tally_add(dict(tallies))  # after the session's row, as every writer (live/locks.py)
    return MergeUndone(merge, restored, not_restored)


# --- Ballots ----------------------------------------------------------------------------------------------


IDEMPOTENCY_KEY_MAX = 255


def idempotency_key_digest(key: str) -> str:
    """The stored form of a client's Idempotency-Key (a digest: the client's string itself is not kept).
    Raises InvalidInput for an empty or overlong key."""
    key = (key or "").strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX:
        raise InvalidInput(
            formatted(_("The Idempotency-Key header must have 1 to %(n)d characters."), n=IDEMPOTENCY_KEY_MAX)
        )
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def item_submit_once(
    *,
    participant: Participant,
    idempotency_key: str,
    kind: str,
    text: str,
    answers: Iterable[int] = (),
    theme: int | None = None,
) -> tuple[Item, bool]:
    """item_submit at most once per participant and key, for clients that retry. Returns (item, created).

    The first request with a key submits as item_submit does; a retry with the same key (whatever the phase by
    then) returns the item the first one created, with created=False, and changes nothing. Parallel retries are
    serialised on the participant's row, and one item per author and key is a database constraint.
    Raises IdempotencyKeyReused when the key was used for a different kind or text; UnknownParticipant; and
    what item_submit raises.
    """
    digest = idempotency_key_digest(idempotency_key)
    _lock_participant(participant)
    existing = Item.objects.filter(author_id=participant.pk, submission_key=digest).first()
    if existing is not None:
        if existing.kind != kind or existing.original_text != " ".join((text or "").split()):
            raise IdempotencyKeyReused
        return existing, False
    item = item_submit(participant=participant, kind=kind, text=text, answers=answers, theme=theme)
    item.submission_key = digest
    item.save(update_fields=["submission_key"])
    return item, True


# --- Tallies --------------------------------------------------------------------------------------------
# Item.tally is the sum of the item's ballot points. Every service below that writes ballots adds its change to
# the tallies in the same transaction (tally_add), so the state that screens read several times a second reads
# one column instead of summing the session's ballots. tests/consultations/test_tallies.py checks tally == SUM
# after random mixes of every ballot writer, and on PostgreSQL under parallel group commits.


def tallies_recount(items: QuerySet[Item]) -> int:
    """Set the tallies of the given items (a queryset) to the sum of their ballots; returns how many were wrong.
    Must run inside a transaction (the items stay locked until it ends).

    For data written around the services (a bulk load, a restore of part of a database): `manage.py
    tallies --repair`. Items merged away keep their tally at zero, as their ballots moved to the target."""
    # Lock the items first, in id order, as the ballot services do: a group commit that has written ballots but not
    # yet committed holds its items' rows, so the sums below (a new snapshot, taken once the locks are held) include
    # its ballots; one that comes later adds its own change to the corrected tally. Safe during a live session.
    ids = list(items.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))
    items = Item.objects.filter(pk__in=ids)
    sums = Ballot.objects.filter(item=OuterRef("pk")).order_by().values("item").annotate(n=Sum("points")).values("n")
    actual = Coalesce(Subquery(sums, output_field=IntegerField()), 0)
    wrong = items.annotate(actual=actual).exclude(tally=F("actual")).values_list("pk", flat=True)
    return Item.objects.filter(pk__in=list(wrong)).update(tally=actual)


class VoteResult(NamedTuple):
    ballot: Ballot | None
    changed: bool
    created: bool
    # The session's version with this ballot committed (every state of it or later shows the ballot); None when
    # nothing was written (changed is False).
    version: int | None = None


def _lock_participant(participant: Participant) -> None:
    """Lock the participant's row (parallel ballots of one person are checked one after the other).

    The participant may be a bare Participant(pk=..., session_id=...) built from a signed token; its existence
    is checked here. Raises UnknownParticipant.
    """
    found = Participant.objects.select_for_update().filter(
        pk=participant.pk, session_id=participant.session_id, set_aside_at__isnull=True
    )
    if not list(found.values_list("pk", flat=True)):
        raise UnknownParticipant


def _item_for_vote(participant: Participant, item_id: int) -> tuple[Session, Item]:
    session = Session.objects.get(pk=participant.session_id)
    if session.is_closed:
        raise SessionClosed
    try:
        item = Item.objects.get(pk=int(item_id), session=session)
    except (Item.DoesNotExist, TypeError, ValueError):
        raise UnknownItem from None
    _check_open_for_votes(session, item)
    return session, item


def _check_open_for_votes(session: Session, item: Item) -> None:
    if item.status != ItemStatus.APPROVED:
        raise UnknownItem(_("This item is not open for votes."))
    if session.voting_kind != item.kind:
        raise WrongPhase(_("Voting on this kind of item is not open now."))


def _check_points(session: Session, item: Item, points: int, spent_elsewhere: Callable[[], int]) -> None:
    """The ballot rules of the session's voting method. spent_elsewhere() gives the participant's points on the
    other items of the kind (read only for dot voting). Raises TooManyPoints, InvalidInput."""
    if session.voting_method_for(item.kind) == VotingMethod.APPROVAL:
        if points != 1:
            raise TooManyPoints(_("Approval voting takes exactly one point per item."))
        return
    if points < 1:
        raise InvalidInput(_("Give at least one point, or withdraw your vote."))
    if points > session.dot_max_per_item:
        raise TooManyPoints(formatted(_("At most %(n)d points can go to one item."), n=session.dot_max_per_item))
    spent = spent_elsewhere()
    if spent + points > session.dot_points:
        raise TooManyPoints(formatted(_("You have %(left)d points left."), left=max(0, session.dot_points - spent)))


@transaction.atomic
def vote_cast(*, participant: Participant, item_id: int, points: int = 1) -> VoteResult:
    """Record or change the participant's ballot on an item. Returns (ballot, changed, created).

    Approval voting takes exactly one point; dot voting 1..dot_max_per_item points on one item and at most
    dot_points over all items of the kind being voted on. Casting the same ballot again changes nothing.
    One ballot per participant and item is a database constraint; the participant's row is locked so that
    parallel ballots of one person are checked one after the other.
    Raises SessionClosed, WrongPhase, UnknownItem, UnknownParticipant, TooManyPoints, InvalidInput.
    """
    try:
        points = int(points)
    except (TypeError, ValueError):
        raise InvalidInput(_("Points must be a whole number.")) from None
    _lock_participant(participant)
    session, item = _item_for_vote(participant, item_id)
    others = Ballot.objects.filter(participant=participant, item__kind=item.kind).exclude(item=item)
    _check_points(session, item, points, lambda: others.aggregate(total=Sum("points"))["total"] or 0)
    created = False
    ballot = Ballot.objects.filter(participant=participant, item=item).first()
    if ballot is not None:
        if ballot.points == points:
            return VoteResult(ballot, False, False)
        before = ballot.points
        ballot.points = points
        ballot.save(update_fields=["points", "updated_at"])
    else:
        try:
            with transaction.atomic():
                ballot = Ballot.objects.create(session=session, participant=participant, item=item, points=points)
                created, before = True, 0
        except IntegrityError:
            # A parallel request of the same participant won: keep one ballot, with these points.
            ballot = Ballot.objects.get(participant=participant, item=item)
            if ballot.points == points:
                return VoteResult(ballot, False, False)
            before = ballot.points
            ballot.points = points
            ballot.save(update_fields=["points", "updated_at"])
    version = _bump(session)
    # The item was read before the session's row was locked: a merge or a hiding that committed meanwhile would
    # leave this ballot on an item nobody sees. Read its status again, now that a merge can no longer commit.
    if Item.objects.filter(pk=item.pk).exclude(status=ItemStatus.APPROVED).exists():
        raise UnknownItem(_("This item is not open for votes."))
    tally_add({item.pk: points - before})  # after the session's row (lock order: live/locks.py)
    return VoteResult(ballot, True, created, version)


class VotesRaced(Exception):
    """vote_cast_many wrote ballots on an item merged or hidden while the group was being written: the caller rolls
    the group back and runs it again, which then refuses those ballots (live/writer.py)."""


def vote_cast_many(requests: list[dict]) -> list[VoteResult | Exception]:
    """vote_cast for a group of requests in one transaction, with a handful of queries instead of six each.

    The ballot box (live/writer.py) hands each group commit's run of ballots here. requests are vote_cast's
    keyword arguments, in arrival order; the result at each position is what vote_cast would have returned or
    raised had the requests run one after the other (tests/consultations/test_vote_many.py checks this on
    random sequences). Must run inside a transaction: the participants' rows stay locked until it commits.
    """
    results: list[VoteResult | Exception | None] = [None] * len(requests)
    wanted: list[tuple[int, Participant, int | None, int]] = []
    id_low, id_high = connection.ops.integer_field_range(Item._meta.pk.get_internal_type())
    for index, request in enumerate(requests):
        try:
            points = int(request.get("points", 1))
        except (TypeError, ValueError):
            results[index] = InvalidInput(_("Points must be a whole number."))
            continue
        try:
            item_id = int(request["item_id"])
        except (TypeError, ValueError):
            item_id = None  # UnknownItem, once the participant and the session are checked
        if item_id is not None and not id_low <= item_id <= id_high:
            item_id = None  # no item has it, as vote_cast finds (the database would refuse the whole group's query)
        wanted.append((index, request["participant"], item_id, points))
    if not wanted:
        return results  # type: ignore[return-value]  # every position is set: each request was refused above
    participant_ids = {p.pk for _, p, _, _ in wanted}
    # Plain SQL (ballot_rows): the ORM spent most of a group's CPU compiling these statements and building a model
    # instance per row. The participants' rows are locked and their sessions read by one statement; the session's
    # row is locked by _bump, after them. The three reads go in one round trip, in this order: the ballots are read
    # once their participants are locked.
    with ballot_rows.round_trip():
        voters = ballot_rows.voters_for_update(participant_ids)
        items_found = ballot_rows.items({item_id for _, _, item_id, _ in wanted if item_id is not None})
        ballots_held = ballot_rows.ballots_of(participant_ids)
    found, sessions = voters()
    items = items_found()
    # Every ballot of these participants as plain values (a participant may hold dozens by the end of a session).
    held: dict[int, dict[int, int]] = {}  # participant -> item -> points, as this group leaves them
    stored: dict[tuple[int, int], tuple[int, int]] = {}  # (participant, item) -> (ballot id, points before)
    for ballot_id, participant_id, item_id, points in ballots_held():
        held.setdefault(participant_id, {})[item_id] = points
        stored[participant_id, item_id] = (ballot_id, points)
    written: dict[tuple[int, int], int] = {}  # (participant, item) -> session, for each ballot this group writes
    answers: list[tuple[int, tuple[int, int], int, int, bool, bool]] = []
    for index, participant, item_id, points in wanted:
        mine = held.setdefault(participant.pk, {})
        try:
            if (participant.pk, participant.session_id) not in found:
                raise UnknownParticipant
            session = sessions[participant.session_id]
            if session.is_closed:
                raise SessionClosed
            item = items.get(item_id) if item_id is not None else None
            if item is None or item.session_id != session.pk:
                raise UnknownItem
            _check_open_for_votes(session, item)
            _check_points(
                session,
                item,
                points,
                functools.partial(_spent_elsewhere, mine, items, item),
            )
        except SessionError as exc:
            results[index] = exc
            continue
        key = (participant.pk, item.pk)
        current = mine.get(item.pk)
        if current == points:
            answers.append((index, key, session.pk, points, False, False))
            continue
        mine[item.pk] = points
        written[key] = session.pk
        answers.append((index, key, session.pk, points, True, current is None))
    now = timezone.now()
    ids = {key: ballot_id for key, (ballot_id, _points) in stored.items()}
    new = [(session_id, p, i, held[p][i]) for (p, i), session_id in written.items() if (p, i) not in stored]
    tallies: Counter = Counter()
    for p, i in written:
        tallies[i] += held[p][i] - stored.get((p, i), (None, 0))[1]
    with ballot_rows.round_trip():  # the writes, one round trip (with the tallies, unless the caller defers them)
        inserted = ballot_rows.ballots_insert(new, now)
        ballot_rows.ballots_set_points([(stored[p, i][0], held[p][i]) for p, i in written if (p, i) in stored], now)
        bumped = {session_id: _bump_sent(sessions[session_id]) for session_id in sorted(set(written.values()))}
        # The items were read before the sessions' rows were locked (as in vote_cast): once they are, no merge or
        # hiding can commit, so one that did meanwhile shows here.
        closed = ballot_rows.items_closed_to_votes({i for _p, i in written})
        tally_add(tallies)  # after the sessions' rows, as everywhere: participants, then sessions, then items
    if closed():
        raise VotesRaced
    ids.update(inserted())
    versions = {session_id: new_version() for session_id, new_version in bumped.items()}
    for index, (p, i), session_id, points, was_changed, was_created in answers:
        # Each answer shows the ballot as this request left it (a later request of the group may change it).
        ballot = Ballot(pk=ids.get((p, i)), session_id=session_id, participant_id=p, item_id=i, points=points)
        results[index] = VoteResult(ballot, was_changed, was_created, versions[session_id] if was_changed else None)
    return results  # type: ignore[return-value]  # every position is set: an error above, or an answer here


def _spent_elsewhere(mine: dict[int, int], items: dict[int, Item], item: Item) -> int:
    return sum(points for other, points in mine.items() if other != item.pk and _item_kind(items, other) == item.kind)


def _item_kind(items: dict[int, Item], item_id: int) -> str:
    if item_id not in items:  # an item voted on before this group: read it once
        items[item_id] = Item.objects.only("kind", "session_id").get(pk=item_id)
    return items[item_id].kind


@transaction.atomic
def vote_withdraw(*, participant: Participant, item_id: int) -> bool:
    """Withdraw the participant's ballot on an item. Returns whether there was one to withdraw.

    Raises SessionClosed, WrongPhase, UnknownItem.
    """
    _lock_participant(participant)
    session, item = _item_for_vote(participant, item_id)
    ballot = Ballot.objects.filter(participant=participant, item=item).first()
    if ballot is None:
        return False
    ballot.delete()
    _bump(session)
    tally_add({item.pk: -ballot.points})  # after the session's row (lock order: live/locks.py)
    return True
