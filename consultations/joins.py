"""Who may join a live session, and as whom: the join policy rule (docs/security.md, "One person, one voice").

Every road a join takes (the ASGI fast path, the DRF view, the join page's form) ends in
`services.participant_join_many`, which asks this module, and only this module, whether a request is admitted and
whether it resumes a participant who already exists. A session's facilitator chooses its policy:

- open: anyone with the link joins; a browser that sends the same device id again (the page keeps one; API
  clients may send one) gets back the participant it already is instead of a new one. A script that invents a new
  device id for each join is not stopped here: the console shows such clusters (many joins from one address in a
  short time, identical ballots) and the facilitator may set their ballots aside.
- rotating: the join also needs the room code the projector shows, which changes every minute (the current and the
  previous minute's codes are accepted): only people who see the screen, within two minutes, can join.
- cards: the join needs one of the session's printed one-time cards; a card admits one participant and, used again,
  resumes that same participant. Votes cannot be multiplied at all: one card, one participant.

Nothing kept here names a person: the device id and the address are stored as keyed hashes (HMAC with the server's
secret key and the session), which nobody can turn back into an address and which differ from session to session.
"""

import functools
import hmac
import secrets
import time
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from cities.errors import formatted
from cities.models import User
from cities.origins import origin_allowed, trusted_origins
from cities.services import audit_record

from .errors import CrossSiteRequest, InvalidInput, JoinPassRefused, JsonRequired
from .live.locks import tally_add
from .models import JOIN_CODE_ALPHABET, Ballot, Item, JoinCard, JoinPolicy, Participant, Session

ROOM_CODE_LENGTH = 5  # 23**5 codes, two valid at a time: guessing within the join rate limits is hopeless
ROOM_CODE_PERIOD = 60  # seconds
CARD_CODE_LENGTH = 10
CARDS_MAX = 2000  # per request
DEVICE_MAX = 64  # characters of a device id
# Console: an origin is worth a look from this many joins in CLUSTER_WINDOW seconds, and a group of identical
# ballots from one origin from this many participants.
CLUSTER_JOINS = 20
CLUSTER_WINDOW = 10
CLUSTER_BALLOTS = 5


# --- Requests -------------------------------------------------------------------------------------------------


def join_request_refusal(*, content_type: str, origin: str | None, scheme: str, host: str) -> Exception | None:
    """Why a join request must be refused before it is read, or None. The join endpoint takes JSON only, and no
    request whose Origin is another site (cities.origins, the rule the live sockets follow too): a form on another
    site (urlencoded, multipart, text/plain: the kinds a browser sends across sites without asking) cannot make a
    visitor's browser join, nor anything else that a browser marks as coming from elsewhere."""
    if origin is not None and not origin_allowed(
        origin, host=host, secure=scheme == "https", allowed_hosts=settings.ALLOWED_HOSTS, trusted=trusted_origins()
    ):
        return CrossSiteRequest()
    if content_type.split(";")[0].strip().lower() != "application/json":
        return JsonRequired()
    return None


# --- Keys -------------------------------------------------------------------------------------------------------


def device_key(session_id: int, device: str) -> str:
    """The stored form of a device id: a keyed hash, per session."""
    return _keyed("device", f"{session_id}:{device}", settings.SECRET_KEY)[:32]


def origin_key(session_id: int, address: str) -> str:
    """The stored form of the address a participant joined from: a keyed hash, per session (enough to group the
    joins of one address in the console; not an address)."""
    return _keyed("origin", f"{session_id}:{address}", settings.SECRET_KEY)[:16]


@functools.lru_cache(maxsize=4096)  # a hall joins from one address: computed once per session
def _keyed(purpose: str, text: str, secret: str) -> str:
    return salted_hmac(f"majlis.join.{purpose}", text, secret=secret, algorithm="sha256").hexdigest()


def clean_device(device) -> str:
    """A device id as sent (a browser's random id), or "" when there is none. Raises InvalidInput."""
    if device in (None, ""):
        return ""
    if not isinstance(device, str) or not device.isprintable() or len(device.strip()) > DEVICE_MAX:
        raise InvalidInput(formatted(_("The device id must be text of at most %(n)d characters."), n=DEVICE_MAX))
    return device.strip()


def room_code(session_id: int, *, at: float | None = None) -> str:
    """The code the projector shows for the session during the minute that contains `at` (now by default)."""
    minute = int((time.time() if at is None else at) // ROOM_CODE_PERIOD)
    digest = salted_hmac("majlis.join.room", f"{session_id}:{minute}", algorithm="sha256").digest()
    number = int.from_bytes(digest[:8], "big")
    letters = []
    for _i in range(ROOM_CODE_LENGTH):
        number, index = divmod(number, len(JOIN_CODE_ALPHABET))
        letters.append(JOIN_CODE_ALPHABET[index])
    return "".join(letters)


def room_code_seconds_left(*, at: float | None = None) -> int:
    now = time.time() if at is None else at
    return ROOM_CODE_PERIOD - int(now % ROOM_CODE_PERIOD)


def room_code_valid(session_id: int, code, *, at: float | None = None) -> bool:
    """Whether code is the session's room code of this minute or of the previous one."""
    typed = "".join(ch for ch in str(code or "").upper() if ch.isalnum())
    if len(typed) != ROOM_CODE_LENGTH:
        return False
    now = time.time() if at is None else at
    return any(hmac.compare_digest(typed, room_code(session_id, at=now - back)) for back in (0, ROOM_CODE_PERIOD))


def normalise_card(code) -> str:
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())[:16]


# --- The rule ---------------------------------------------------------------------------------------------------


REQUEST_ONLY = {"room_code", "card"}  # fields of a join request that are not stored on the participant


def request_fields(session: Session, *, device=None, address: str = "", room_code=None, card=None) -> dict:
    """A join request's policy fields, checked before any lock: the keyed device and address (stored on the
    participant) and what the policy asks for (room code, card). Raises InvalidInput."""
    device = clean_device(device)
    return {
        "device_key": device_key(session.pk, device) if device else "",
        "origin_key": origin_key(session.pk, address) if address else "",
        "room_code": room_code,
        "card": normalise_card(card),
    }


def participant_fields(session: Session, fields: dict) -> dict:
    """The fields a new participant is stored with, from a join request's fields. Under the cards policy the card
    is the person, not the device: its device id is not kept (two cards used on one phone are two participants)."""
    stored = {name: value for name, value in fields.items() if name not in REQUEST_ONLY}
    if session.join_policy == JoinPolicy.CARDS:
        stored["device_key"] = ""
    return stored


def resume_key(session: Session, fields: dict) -> str:
    """What makes two join requests of one session the same person: the card under the cards policy, else the
    device id ("" when the request has neither)."""
    if session.join_policy == JoinPolicy.CARDS:
        return f"card:{fields['card']}" if fields.get("card") else ""
    return f"device:{fields['device_key']}" if fields.get("device_key") else ""


def check_policy(session: Session, fields: dict) -> None:
    """What the session's policy asks of a join request. Raises JoinPassRefused."""
    if session.join_policy == JoinPolicy.ROTATING and not room_code_valid(session.pk, fields.get("room_code")):
        raise JoinPassRefused(
            _("This room code is not the one on the screen. Type the code shown now.")
            if fields.get("room_code")
            else _("Type the room code shown on the screen (it changes every minute).")
        )
    if session.join_policy == JoinPolicy.CARDS and not fields.get("card"):
        raise JoinPassRefused(_("This session is joined with a printed card. Scan the QR code on your card."))


def pass_check(session: Session, *, room_code=None, card=None) -> None:
    """The room code or card a person brought, checked before the join page asks its questions, so that a wrong one
    is said at once rather than after the answers. Reads only; the join checks it again under the session's lock
    (admit). Raises JoinPassRefused."""
    fields = {"room_code": room_code, "card": normalise_card(card)}
    check_policy(session, fields)
    if (
        session.join_policy == JoinPolicy.CARDS
        and not JoinCard.objects.filter(session=session, code=fields["card"]).exists()
    ):
        raise JoinPassRefused(_("This card is not one of this session's cards."))


def admit(session: Session, requests: list[tuple[int, dict]]) -> tuple[dict[int, Participant], dict[int, Exception]]:
    """Under the session's row lock: which of these join requests (position, fields) the session's policy refuses,
    and which resume a participant who already exists (by card, or by device id). The caller admits the others as
    new participants. Costs no query unless a request carries a device id or a card."""
    resumed: dict[int, Participant] = {}
    refused: dict[int, Exception] = {}
    cards_policy = session.join_policy == JoinPolicy.CARDS
    cards: dict[str, JoinCard] = {}
    wanted = {f["card"] for _i, f in requests if f.get("card")}
    if cards_policy and wanted:
        cards = {card.code: card for card in JoinCard.objects.filter(session=session, code__in=wanted)}
    devices = {f["device_key"] for _i, f in requests if f.get("device_key")}
    by_device: dict[str, Participant] = {}
    if devices and not cards_policy:
        by_device = {p.device_key: p for p in Participant.objects.filter(session=session, device_key__in=devices)}
    for index, fields in requests:
        try:
            check_policy(session, fields)
        except JoinPassRefused as exc:
            refused[index] = exc
            continue
        if cards_policy:
            card = cards.get(fields["card"])
            if card is None:
                refused[index] = JoinPassRefused(_("This card is not one of this session's cards."))
            elif card.participant_id is not None:
                resumed[index] = Participant.objects.select_related("session").get(pk=card.participant_id)
        elif fields.get("device_key") in by_device:
            resumed[index] = by_device[fields["device_key"]]
    for participant in resumed.values():
        participant.session = session
    return resumed, refused


def admitted(session: Session, new: list[tuple[int, dict, Participant]]) -> None:
    """After the new participants are inserted: bind each card to the participant it admitted."""
    if session.join_policy != JoinPolicy.CARDS:
        return
    for _index, fields, participant in new:
        JoinCard.objects.filter(session=session, code=fields["card"], participant=None).update(participant=participant)


# --- Cards ------------------------------------------------------------------------------------------------------


@transaction.atomic
def cards_create(*, session: Session, count: int, actor: User | None) -> list[JoinCard]:
    """Print-ready one-time cards for the session (each admits one participant). Raises InvalidInput."""
    if not isinstance(count, int) or not 1 <= count <= CARDS_MAX:
        raise InvalidInput(formatted(_("Create between 1 and %(n)d cards at a time."), n=CARDS_MAX))
    taken = set(JoinCard.objects.filter(session=session).values_list("code", flat=True))
    codes: list[str] = []
    while len(codes) < count:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(CARD_CODE_LENGTH))
        if code not in taken:
            taken.add(code)
            codes.append(code)
    cards = JoinCard.objects.bulk_create([JoinCard(session=session, code=code) for code in codes])
    audit_record(
        actor=actor,
        action="session.cards_create",
        target=session,
        city=session.consultation.city,
        data={"count": count},
    )
    return cards


# --- Clusters ---------------------------------------------------------------------------------------------------


def join_clusters(session: Session) -> list[dict]:
    """The places (keyed addresses) worth a facilitator's look, busiest first: each with its joins, the most joins
    in any CLUSTER_WINDOW seconds, its joins without a device id, and its groups of at least CLUSTER_BALLOTS
    participants who cast exactly the same ballots (participant ids, so that they can be set aside), and the
    participants already set aside. A hall on one Wi-Fi is one place too: the facilitator judges."""
    rows = list(
        Participant.objects.filter(session=session)
        .exclude(origin_key="")
        .values_list("pk", "origin_key", "created_at", "device_key", "set_aside_at")
    )
    ballots: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for participant_id, item_id, points in Ballot.objects.filter(session=session).values_list(
        "participant_id", "item_id", "points"
    ):
        ballots[participant_id].append((item_id, points))
    places: dict[str, dict] = {}
    for pk, origin, joined, device, set_aside_at in rows:
        place = places.setdefault(
            origin,
            {
                "origin": origin,
                "joins": 0,
                "times": [],
                "without_device": 0,
                "same": defaultdict(list),
                "set_aside": [],
            },
        )
        place["joins"] += 1
        place["times"].append(joined.timestamp())
        place["without_device"] += not device
        if set_aside_at is not None:
            place["set_aside"].append(pk)
        elif ballots.get(pk):
            place["same"][tuple(sorted(ballots[pk]))].append(pk)
    clusters = []
    for place in places.values():
        times = sorted(place.pop("times"))
        peak, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] > CLUSTER_WINDOW:
                start += 1
            peak = max(peak, end - start + 1)
        same = [
            {"participants": sorted(ids), "ballot": [{"item": i, "points": p} for i, p in ballot]}
            for ballot, ids in place.pop("same").items()
            if len(ids) >= CLUSTER_BALLOTS
        ]
        same.sort(key=lambda group: -len(group["participants"]))
        if peak >= CLUSTER_JOINS or same or place["set_aside"]:
            clusters.append({**place, "peak": peak, "identical_ballots": same})
    clusters.sort(key=lambda c: (-c["peak"], -c["joins"], c["origin"]))
    return clusters


def _participants_of(session: Session, participant_ids) -> list[Participant]:
    try:
        ids = sorted({int(pk) for pk in participant_ids})
    except (TypeError, ValueError):
        raise InvalidInput(_("Choose participants of this session.")) from None
    found = list(Participant.objects.select_for_update().filter(session=session, pk__in=ids).order_by("pk"))
    if not ids or len(found) != len(ids):
        raise InvalidInput(_("Choose participants of this session."))
    return found


@transaction.atomic
def participants_set_aside(*, session: Session, participant_ids, actor: User | None) -> int:
    """Take these participants' ballots out of every count (tallies, results, exports) and stop them voting; their
    ballots are kept with them so that participants_restore can put them back. Audited. Returns how many
    participants were set aside. Raises InvalidInput."""
    from . import services  # services imports this module

    people = [p for p in _participants_of(session, participant_ids) if p.set_aside_at is None]
    session = Session.objects.select_for_update().get(pk=session.pk)
    if people and Ballot.objects.filter(participant__in=people).exclude(item__kind=session.voting_kind).exists():
        services.breakdowns_withhold(session=session)  # ballots counted outside their voting change
    now = timezone.now()
    tallies: dict[int, int] = defaultdict(int)
    for person in people:
        held = list(Ballot.objects.filter(participant=person).values_list("item_id", "points"))
        for item_id, points in held:
            tallies[item_id] -= points
        person.set_aside_ballots = [[item_id, points] for item_id, points in held]
        person.set_aside_at = now
    Participant.objects.bulk_update(people, ["set_aside_at", "set_aside_ballots"])
    Ballot.objects.filter(participant__in=people).delete()
    audit_record(
        actor=actor,
        action="session.participants_set_aside",
        target=session,
        city=session.consultation.city,
        data={"participants": len(people), "ballots": sum(len(p.set_aside_ballots) for p in people)},
    )
    services._bump(session)
    tally_add(dict(tallies))  # after the session's row, as every writer (live/locks.py)
    return len(people)


@transaction.atomic
def participants_restore(*, session: Session, participant_ids, actor: User | None) -> int:
    """Undo participants_set_aside: their kept ballots count again (on items that still exist). Audited. Returns
    how many participants were restored. Raises InvalidInput."""
    from . import services

    people = [p for p in _participants_of(session, participant_ids) if p.set_aside_at is not None]
    session = Session.objects.select_for_update().get(pk=session.pk)
    items = {item.pk: item for item in Item.objects.filter(session=session).only("pk", "kind", "merged_into_id")}
    kept = [item_id for person in people for item_id, _points in person.set_aside_ballots]
    if any(item_id in items and items[item_id].kind != session.voting_kind for item_id in kept):
        services.breakdowns_withhold(session=session)  # ballots come back on items whose voting is not open
    tallies: dict[int, int] = defaultdict(int)
    ballots = []
    for person in people:
        # An item merged meanwhile: the ballot goes to the item kept, added up and capped as items_merge does.
        mine: dict[int, int] = defaultdict(int)
        for item_id, points in person.set_aside_ballots:
            seen = set()
            while item_id in items and items[item_id].merged_into_id and item_id not in seen:
                seen.add(item_id)
                item_id = items[item_id].merged_into_id
            if item_id in items:
                mine[item_id] += points
        for item_id, points in mine.items():
            kind = items[item_id].kind
            cap = session.max_points_on_item(kind)
            ballots.append(Ballot(session=session, participant=person, item_id=item_id, points=min(cap, points)))
            tallies[item_id] += min(cap, points)
        person.set_aside_at, person.set_aside_ballots = None, []
    Ballot.objects.bulk_create(ballots)
    Participant.objects.bulk_update(people, ["set_aside_at", "set_aside_ballots"])
    audit_record(
        actor=actor,
        action="session.participants_restore",
        target=session,
        city=session.consultation.city,
        data={"participants": len(people), "ballots": len(ballots)},
    )
    services._bump(session)
    tally_add(dict(tallies))  # after the session's row, as every writer (live/locks.py)
    return len(people)


def join_summary(session: Session) -> dict:
    """What results say about how people joined: the policy now, how many participants each policy admitted
    (a policy may change during a session), and how many participants' ballots are set aside."""
    admitted_by: dict[str, int] = defaultdict(int)
    set_aside = 0
    for policy, aside in Participant.objects.filter(session=session).values_list("join_policy", "set_aside_at"):
        admitted_by[policy or JoinPolicy.OPEN] += 1
        set_aside += aside is not None
    return {
        "policy": session.join_policy,
        "policy_label": str(JoinPolicy(session.join_policy).label),
        "admitted_by": dict(sorted(admitted_by.items())),
        "set_aside": set_aside,
    }
