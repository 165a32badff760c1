"""Reads of live sessions: the state every screen shows, a participant's own view, and results."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, Q, Sum
from django.db.models.functions import Coalesce

from .models import AgeBand, Ballot, Gender, Item, ItemStatus, Participant, Session, VotingMethod

SMALL_CELL = 5  # breakdown cells under this many people are shown as "<5"

STAFF = "staff"
PUBLIC = "public"


@dataclass(frozen=True)
class StateSnapshot:
    """One read of a session, from which both audiences' states are built."""

    session_id: int
    version: int
    phase: str
    participants: int
    results_visible: bool
    extra: dict
    items: list[dict]

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
        }


def session_snapshot(session_id: int) -> StateSnapshot:
    """Read a session's state. The version is read first, so the data is at least as new as the version."""
    session = Session.objects.select_related("consultation").get(pk=session_id)
    items = list(
        Item.objects.filter(session_id=session_id)
        .exclude(status=ItemStatus.MERGED)
        .order_by("id")
        .values("id", "kind", "text", "status", votes=F("tally"))
    )
    answers = defaultdict(list)
    for from_id, to_id in Item.answers.through.objects.filter(from_item__session_id=session_id).values_list(
        "from_item_id", "to_item_id"
    ):
        answers[from_id].append(to_id)
    for it in items:
        it["answers"] = sorted(answers.get(it["id"], []))
    participants = Participant.objects.filter(session_id=session_id).count()
    extra = {
        "code": session.join_code,
        "title": session.title,
        "phases": session.phases,
        "locked": session.locked,
        "voting": {
            "challenge": _voting_rules(session, session.challenge_voting_method),
            "proposal": _voting_rules(session, session.proposal_voting_method),
        },
    }
    return StateSnapshot(
        session_id=session_id,
        version=session.version,
        phase=session.phase,
        participants=participants,
        results_visible=session.results_visible,
        extra=extra,
        items=items,
    )


def _voting_rules(session: Session, method: str) -> dict:
    if method == VotingMethod.APPROVAL:
        return {"method": method, "points": None, "max_per_item": 1}
    return {"method": method, "points": session.dot_points, "max_per_item": session.dot_max_per_item}


def session_state(session: Session, *, audience: str) -> dict:
    return session_snapshot(session.pk).for_audience(audience)


def participant_view(participant: Participant) -> dict:
    """What one participant has submitted and voted, and the points left per kind."""
    session = Session.objects.get(pk=participant.session_id)
    ballots = list(Ballot.objects.filter(participant=participant).values("item_id", "item__kind", "points"))
    spent = defaultdict(int)
    for b in ballots:
        spent[b["item__kind"]] += b["points"]
    points_left = {}
    for kind in ("challenge", "proposal"):
        method = session.voting_method_for(kind)
        points_left[kind] = None if method == VotingMethod.APPROVAL else max(0, session.dot_points - spent[kind])
    return {
        "participant": participant.pk,
        "ballots": [{"item": b["item_id"], "points": b["points"]} for b in ballots],
        "items": list(Item.objects.filter(author=participant).order_by("id").values("id", "kind", "text", "status")),
        "points_left": points_left,
    }


# --- Results ----------------------------------------------------------------------------------------------


def _suppress(value: int) -> int | str:
    return value if value >= SMALL_CELL else f"<{SMALL_CELL}"


BREAKDOWNS = {
    "gender": ("participant__gender", Gender),
    "age_band": ("participant__age_band", AgeBand),
    "district": ("participant__district__name", None),
}


def session_results(session: Session, *, kind: str | None = None) -> dict:
    """Ranked items with tallies, breakdowns by group with small cells suppressed, and a consensus ranking.

    A group counts for consensus only when it has at least SMALL_CELL participants; an item's consensus
    score is the lowest share of supporters across those groups (support that holds in every group).
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

    participants = Participant.objects.filter(session=session)
    breakdowns: dict[str, dict] = {}
    consensus_groups: dict[tuple[str, str], int] = {}
    for name, (field, _choices) in BREAKDOWNS.items():
        ppl_field = field.removeprefix("participant__")
        group_sizes = {
            (row[ppl_field] or "unsaid"): row["n"] for row in participants.values(ppl_field).annotate(n=Count("id"))
        }
        per_item: dict[int, dict] = defaultdict(dict)
        for row in (
            Ballot.objects.filter(item__in=[it["id"] for it in items])
            .values("item_id", field)
            .annotate(n=Count("participant", distinct=True), points=Sum("points"))
        ):
            group = row[field] or "unsaid"
            per_item[row["item_id"]][group] = row["n"]
        breakdowns[name] = {
            "groups": {g: _suppress(n) for g, n in sorted(group_sizes.items())},
            "items": {
                it["id"]: {g: _suppress(per_item[it["id"]].get(g, 0)) for g in sorted(group_sizes)} for it in items
            },
        }
        for group, size in group_sizes.items():
            if group != "unsaid" and size >= SMALL_CELL:
                consensus_groups[(name, group)] = size
        for it in items:
            it.setdefault("_support", {})
            for group in group_sizes:
                it["_support"][(name, group)] = per_item[it["id"]].get(group, 0)

    consensus = []
    for it in items:
        shares = [it["_support"].get(key, 0) / size for key, size in consensus_groups.items()]
        score = min(shares) if shares else (it["supporters"] / max(1, participants.count()))
        consensus.append({"id": it["id"], "text": it["text"], "kind": it["kind"], "score": round(score, 4)})
        del it["_support"]
    consensus.sort(key=lambda c: (-c["score"], c["id"]))
    return {
        "participants": participants.count(),
        "ballots": Ballot.objects.filter(session=session).count(),
        "items": items,
        "breakdowns": breakdowns,
        "consensus": consensus,
        "consensus_groups": [f"{name}:{group}" for name, group in sorted(consensus_groups)],
    }


def sessions_open_q() -> Q:
    return ~Q(phase="closed")
