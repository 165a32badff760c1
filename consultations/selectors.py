"""Reads of live sessions: the state every screen shows, a participant's own view, and results."""

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TypedDict

from django.db.models import Count, F, IntegerField, Q, Sum
from django.db.models.functions import Coalesce

from cities import disclosure

from .models import AgeBand, Ballot, Gender, Item, ItemMerge, ItemStatus, Participant, Session
from .screening import likely_duplicates

STAFF = "staff"
PUBLIC = "public"


class SnapshotItem(TypedDict):
    """An item of a session's state (docs/realtime.md, message "state"); votes is its tally."""

    id: int
    kind: str
    text: str
    status: str
    votes: int
    answers: list[int]


@dataclass(frozen=True)
class StateSnapshot:
    """One read of a session, from which both audiences' states are built."""

    session_id: int
    version: int
    phase: str
    participants: int
    results_visible: bool
    extra: dict
    items: list[SnapshotItem]
    # Items taken off the screen by moderation, by id only (docs/realtime.md, "What moved off the screen"): a phone
    # learns from them that one of its own items or ballots changed, and re-reads GET …/me.
    hidden: tuple[int, ...] = ()
    merged: tuple[tuple[int, int], ...] = ()  # (merged item, the item it was merged into)

    def for_audience(self, audience: str) -> dict:
        staff = audience == STAFF
        items = [
            {
                "id": it["id"],
                "kind": it["kind"],
                "text": it["text"],
                "status": it["status"],
                "votes": it["votes"] if staff or self.results_visible else None,
                "answers": it["answers"],
            }
            for it in self.items
            if staff or it["status"] == ItemStatus.APPROVED
        ]
        return {
            "version": self.version,
            "phase": self.phase,
            "participants": self.participants,
            "results_visible": self.results_visible,
            **self.extra,
            "items": items,
            "hidden": list(self.hidden),
            "merged": [{"id": source, "into": target} for source, target in self.merged],
        }


def session_snapshot(session_id: int) -> StateSnapshot:
    """Read a session's state. The version is read first, so the data is at least as new as the version."""
    session = Session.objects.select_related("consultation").get(pk=session_id)
    rows = []
    hidden: list[int] = []
    merged: list[tuple[int, int]] = []
    for item_id, kind, text, status, into, votes in (
        Item.objects.filter(session_id=session_id)
        .order_by("id")
        .values_list("id", "kind", "text", "status", "merged_into_id", "tally")
    ):
        if status == ItemStatus.MERGED:
            merged.append((item_id, into))
            continue
        if status == ItemStatus.HIDDEN:
            hidden.append(item_id)
        rows.append((item_id, kind, text, status, votes))
    answers: defaultdict[int, list[int]] = defaultdict(list)
    for from_id, to_id in Item.answers.through.objects.filter(from_item__session_id=session_id).values_list(
        "from_item_id", "to_item_id"
    ):
        answers[from_id].append(to_id)
    items: list[SnapshotItem] = [
        {
            "id": item_id,
            "kind": kind,
            "text": text,
            "status": status,
            "votes": votes,
            "answers": sorted(answers.get(item_id, [])),
        }
        for item_id, kind, text, status, votes in rows
    ]
    participants = Participant.objects.filter(session_id=session_id).count()
    extra = {
        "code": session.join_code,
        "title": session.title,
        "phases": session.phases,
        "locked": session.locked,
        "voting": {kind: voting_rules(session, kind) for kind in ("challenge", "proposal")},
    }
    return StateSnapshot(
        session_id=session_id,
        version=session.version,
        phase=session.phase,
        participants=participants,
        results_visible=session.results_visible,
        extra=extra,
        items=items,
        hidden=tuple(hidden),
        merged=tuple(merged),
    )


def voting_rules(session: Session, kind: str) -> dict:
    """How participants vote on items of kind: the method, the points each spreads (None under approval voting)
    and the most points one item may receive from one participant."""
    return {
        "method": session.voting_method_for(kind),
        "points": session.points_for(kind),
        "max_per_item": session.max_points_on_item(kind),
    }


def session_state(session: Session, *, audience: str) -> dict:
    return session_snapshot(session.pk).for_audience(audience)


def participant_view(participant: Participant) -> dict:
    """What one participant has submitted and voted, and the points left per kind."""
    session = Session.objects.get(pk=participant.session_id)
    ballots = list(Ballot.objects.filter(participant=participant).values("item_id", "item__kind", "points"))
    spent: defaultdict[str, int] = defaultdict(int)
    for b in ballots:
        spent[b["item__kind"]] += b["points"]
    points_left = {}
    for kind in ("challenge", "proposal"):
        points = session.points_for(kind)
        points_left[kind] = None if points is None else max(0, points - spent[kind])
    return {
        "participant": participant.pk,
        "ballots": [{"item": b["item_id"], "points": b["points"], "kind": b["item__kind"]} for b in ballots],
        "items": list(Item.objects.filter(author=participant).order_by("id").values("id", "kind", "text", "status")),
        "points_left": points_left,
    }


# --- Moderation -------------------------------------------------------------------------------------------

RECENT_MERGES = 10


def moderation_board(session: Session) -> dict:
    """What the facilitator's console moderates (docs/api.md, `GET /sessions/<code>/moderation`): each item once,
    the pending ones with the automatic screen's flags and their likely duplicates among the session's pending and
    approved items of the same kind (screening.likely_duplicates), the voting rules per kind, and the recent merges
    (newest first) with whether each may be undone now (merges are undone newest first)."""
    session = Session.objects.get(pk=session.pk)  # the version first: the data is at least as new
    rows = list(
        Item.objects.filter(session=session)
        .exclude(status=ItemStatus.MERGED)
        .order_by("id")
        .values("id", "kind", "text", "status", "flags", votes=F("tally"))
    )
    texts = {row["id"]: row["text"] for row in rows}
    candidates: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in rows:
        if row["status"] in (ItemStatus.PENDING, ItemStatus.APPROVED):
            candidates[row["kind"]].append((row["id"], row["text"]))
    items = []
    for row in rows:
        item = {**row, "suggestions": []}
        if row["status"] == ItemStatus.PENDING:
            others = [pair for pair in candidates[row["kind"]] if pair[0] != row["id"]]
            item["suggestions"] = [
                {"id": pk, "text": texts[pk], "score": score} for pk, score in likely_duplicates(row["text"], others)
            ]
        items.append(item)
    merges = list(
        ItemMerge.objects.filter(session=session).select_related("source", "target").order_by("-id")[:RECENT_MERGES]
    )
    blocked: set[int] = set()  # items a newer merge (not undone) involves
    recent = []
    for merge in merges:
        undoable = merge.undone_at is None and not {merge.source_id, merge.target_id} & blocked
        if merge.undone_at is None:
            blocked |= {merge.source_id, merge.target_id}
        recent.append(
            {
                "id": merge.pk,
                "source": {"id": merge.source_id, "text": merge.source.text},
                "target": {"id": merge.target_id, "text": merge.target.text},
                "kind": merge.source.kind,
                "ballots": len(merge.ballots),
                "created_at": merge.created_at.isoformat(),
                "undone": merge.undone_at is not None,
                "undoable": undoable,
            }
        )
    return {
        "version": session.version,
        "phase": session.phase,
        "voting": {kind: voting_rules(session, kind) for kind in ("challenge", "proposal")},
        "items": items,
        "merges": recent,
    }


# --- Results ----------------------------------------------------------------------------------------------

SMALL_CELL = disclosure.THRESHOLD  # kept for readers of this module; the rule lives in cities.disclosure
UNSAID = "unsaid"

BREAKDOWNS = {
    "gender": ("participant__gender", Gender),
    "age_band": ("participant__age_band", AgeBand),
    "district": ("participant__district__name", None),
}


def _voter_groups(session: Session) -> dict[str, dict[Hashable, int]]:
    """Per question, the number of the session's voters (participants with at least one ballot) per answer.

    Voters, not everyone who joined: once voting is over they no longer change, so a late joiner cannot move a
    group across the threshold and let the figures before and after be subtracted."""
    fields = [field.removeprefix("participant__") for field, _choices in BREAKDOWNS.values()]
    rows = (
        Participant.objects.filter(session=session, ballots__isnull=False)
        .values(*fields)
        .annotate(n=Count("id", distinct=True))
        .order_by()
    )
    sizes: dict[str, dict[Hashable, int]] = {name: defaultdict(int) for name in BREAKDOWNS}
    for row in rows:
        for name, field in zip(BREAKDOWNS, fields, strict=True):
            sizes[name][row[field] or UNSAID] += row["n"]
    return sizes


def session_results(session: Session, *, kind: str | None = None) -> dict:
    """Ranked items with exact tallies, breakdowns by group under disclosure control, and a consensus ranking.

    Breakdowns (cities.disclosure, docs/privacy.md "Disclosure control") are computed only while no voting phase
    is open (live, they would change one ballot at a time), over the session's voters, for one question (the one
    with the most groups of 5 voters; two would cross): groups under 5 voters are pooled, counts under 5 shown as
    "<5", other sensitive counts and their complements as "*", so that no count of fewer than 5 people follows from
    the published cells and the items' exact totals. The consensus score is computed from the published cells only.
    """
    items_qs = Item.objects.filter(session=session, status=ItemStatus.APPROVED)
    if kind:
        items_qs = items_qs.filter(kind=kind)
    items = list(
        items_qs.annotate(
            votes=Coalesce(Sum("ballots__points"), 0, output_field=IntegerField()),
            supporters=Count("ballots", distinct=True),
        ).values("id", "kind", "text", "votes", "supporters")
    )
    items.sort(key=lambda it: (-it["votes"], -it["supporters"], it["id"]))
    for rank, it in enumerate(items, start=1):
        it["rank"] = rank
    participants = Participant.objects.filter(session=session).count()

    shown = session.voting_kind is None and not session.breakdowns_withheld
    dimensions = disclosure.dimensions_recode(_voter_groups(session) if shown else {name: {} for name in BREAKDOWNS})
    counts: dict[int, dict[str, dict]] = defaultdict(lambda: defaultdict(dict))
    if shown and items:
        for name, (field, _choices) in BREAKDOWNS.items():
            for row in (
                Ballot.objects.filter(item__in=[it["id"] for it in items])
                .values("item_id", field)
                .annotate(n=Count("participant", distinct=True))
                .order_by()
            ):
                counts[row["item_id"]][name][row[field] or UNSAID] = row["n"]
    published = {it["id"]: disclosure.item_breakdowns(dimensions, it["supporters"], counts[it["id"]]) for it in items}
    breakdowns: dict[str, dict] = {}
    for dim in dimensions:
        breakdowns[dim.name] = {
            "groups": dict(dim.sizes) if dim.shown else {},
            "items": {it["id"]: published[it["id"]][dim.name] for it in items} if dim.shown else {},
            "shown": dim.shown,
            "pooled": list(dim.pooled) if dim.shown else [],
        }
    consensus_groups = [
        f"{dim.name}:{group}"
        for dim in dimensions
        if dim.shown
        for group in dim.sizes
        if group not in (disclosure.POOLED, UNSAID)
    ]
    consensus = []
    for it in items:
        score = disclosure.consensus_score(dimensions, it["supporters"], published[it["id"]], everyone=participants)
        consensus.append({"id": it["id"], "text": it["text"], "kind": it["kind"], "score": round(score, 4)})
    consensus.sort(key=lambda c: (-c["score"], c["id"]))
    return {
        "participants": participants,
        "ballots": Ballot.objects.filter(session=session).count(),
        "items": items,
        "breakdowns": breakdowns,
        "consensus": consensus,
        "consensus_groups": sorted(consensus_groups),
        "disclosure": {
            "method": disclosure.METHOD_VOTES,
            "threshold": disclosure.THRESHOLD,
            "basis": "voters",
            "breakdowns": "shown" if shown else ("withheld" if session.breakdowns_withheld else "after_voting"),
            "question": next((dim.name for dim in dimensions if dim.shown), None),
        },
    }


def sessions_open_q() -> Q:
    return ~Q(phase="closed")
