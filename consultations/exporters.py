"""Consultation exporters: the summary (aggregated in the database and with pandas, never ballot by ballot) and
the anonymous ballot table; and this app's part of the network key figures."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator

import pandas as pd
from django.db import connections, transaction
from django.db.models import BooleanField, CharField, Count, ExpressionWrapper, Q, Sum, TextField, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cities import disclosure
from cities.exports import (
    ALL_FORMATS,
    BaseExporter,
    Chart,
    CsvTable,
    csv_text,
    key_figures_provider,
    option_object,
    register,
    render,
)
from cities.models import District
from cities.permissions import can_analyse
from consultations.models import (
    AgeBand,
    Ballot,
    Consultation,
    Gender,
    Item,
    ItemKind,
    ItemStatus,
    JoinPolicy,
    Participant,
    Phase,
    Session,
    VotingMethod,
)

TOP = 20
TOP_PER_THEME = 5
QUOTES = 200
UNSAID = "unsaid"  # the group of people who did not answer or preferred not to say
CONSENSUS_DIMENSIONS = ("gender", "age_band", "district_id")


def _consultation(city, options) -> Consultation:
    return option_object(Consultation.objects.filter(city=city), options, "consultation")


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _breakdown(counts: dict, categories: list[tuple[str, str]], total: int) -> list[dict]:
    """Rows of one breakdown over every category (empty ones included), people counted as
    cities.disclosure.people_counts publishes them (rounded to 5, audited against the rounded total)."""
    cells = {key: 0 for key, _label in categories}
    for key, n in counts.items():
        cells[key if key in cells else UNSAID] += n
    shown, _total = disclosure.people_counts(cells, total=total)
    return [{"group": key, "label": str(label), "participants": shown[key]} for key, label in categories]


def _choice_categories(choices) -> list[tuple[str, str]]:
    unsaid_label = _("Not given or prefer not to say")
    return [(value, unsaid_label if value == UNSAID else label) for value, label in choices.choices]


def _items_frame(consultation: Consultation) -> pd.DataFrame:
    """Every approved item with its votes and supporters: one GROUP BY item over the ballots, joined to the items
    in pandas (grouping by the texts in the database would be slower)."""
    columns = ["id", "session_id", "kind", "text", "theme__name"]
    items = pd.DataFrame(
        list(
            Item.objects.filter(session__consultation=consultation, status=ItemStatus.APPROVED)
            .values(*columns)
            .order_by()
        ),
        columns=columns,
    ).rename(columns={"theme__name": "theme"})
    tallies = pd.DataFrame(
        list(
            Ballot.objects.filter(session__consultation=consultation, item__status=ItemStatus.APPROVED)
            .values("item_id")
            .annotate(votes=Sum("points"), supporters=Count("id"))
            .order_by()
        ),
        columns=["item_id", "votes", "supporters"],
    ).rename(columns={"item_id": "id"})
    frame = items.merge(tallies, on="id", how="left").fillna({"votes": 0, "supporters": 0, "theme": ""})
    frame = frame.astype({"votes": int, "supporters": int})
    return frame.sort_values(["votes", "supporters", "id"], ascending=[False, False, True], kind="stable")


def _ranked(frame: pd.DataFrame, limit: int) -> list[dict]:
    top = frame.head(limit)
    return [
        {"rank": i, "text": r.text, "theme": r.theme, "votes": int(r.votes), "supporters": int(r.supporters)}
        for i, r in enumerate(top.itertuples(), start=1)
    ]


def _group_key(value) -> str:
    """One spelling per group in both grouped counts (a district id read as 3 or as 3.0 next to a missing one)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def consensus_frame(consultation: Consultation, items: pd.DataFrame) -> pd.DataFrame:
    """Each approved item's consensus score, as its session's live results give it (consultations.selectors,
    cities.disclosure.consensus): from the session's published breakdowns only, the lowest share of supporters
    guaranteed in each published group (gender, age band, district) of the session's voters; the share of all the
    session's participants when no group is published (or while the session's voting is open). Grouped counts in
    the database (voters by answers, ballots by item and answers), the rest in Python over those small results."""
    columns = ["id", "kind", "text", "score", "supporters", "groups"]
    if items.empty:
        return pd.DataFrame(columns=columns)
    dims = list(CONSENSUS_DIMENSIONS)
    names = dict(zip(dims, ("gender", "age_band", "district"), strict=True))
    voting = set(  # sessions whose live results show no breakdown: voting open, or breakdowns withheld
        Session.objects.filter(consultation=consultation)
        .filter(Q(phase__in=[Phase.CHALLENGE_VOTING, Phase.PROPOSAL_VOTING]) | Q(breakdowns_withheld=True))
        .values_list("pk", flat=True)
    )
    everyone = dict(
        Participant.objects.filter(session__consultation=consultation)
        .values("session_id")
        .annotate(n=Count("id"))
        .values_list("session_id", "n")
        .order_by()
    )
    sizes: dict[int, dict[str, dict]] = {}
    for row in (
        Participant.objects.filter(session__consultation=consultation, ballots__isnull=False)
        .values("session_id", *dims)
        .annotate(n=Count("id", distinct=True))
        .order_by()
    ):
        per_dim = sizes.setdefault(row["session_id"], {names[d]: {} for d in dims})
        for d in dims:
            answer = _group_key(row[d]) or UNSAID
            per_dim[names[d]][answer] = per_dim[names[d]].get(answer, 0) + row["n"]
    answers = [f"participant__{dim}" for dim in dims]
    counts: dict[int, dict[str, dict]] = {}
    for row in (
        Ballot.objects.filter(session__consultation=consultation, item__status=ItemStatus.APPROVED)
        .values("item_id", *answers)
        .annotate(n=Count("id"))
        .order_by()
    ):
        per_dim = counts.setdefault(row["item_id"], {names[d]: {} for d in dims})
        for d, field in zip(dims, answers, strict=True):
            answer = _group_key(row[field]) or UNSAID
            per_dim[names[d]][answer] = per_dim[names[d]].get(answer, 0) + row["n"]
    recoded = {
        session_id: disclosure.dimensions_recode(
            {name: ({} if session_id in voting else groups) for name, groups in per_dim.items()}
        )
        for session_id, per_dim in sizes.items()
    }
    scores, compared = [], []
    for r in items.itertuples():
        dimensions = recoded.get(r.session_id, [])
        published = disclosure.item_breakdowns(dimensions, int(r.supporters), counts.get(r.id, {}))
        score, groups = disclosure.consensus(
            dimensions, int(r.supporters), published, everyone=everyone.get(r.session_id, 0)
        )
        scores.append(score)
        compared.append(groups)
    out = items.assign(score=scores, groups=compared)
    out = out.sort_values(["score", "supporters", "id"], ascending=[False, False, True], kind="stable")
    return out[columns].reset_index(drop=True)


@register
class ConsultationSummary(BaseExporter):
    identifier = "consultation_summary"
    verbose_name = gettext_lazy("Consultation summary")
    description = gettext_lazy(
        "Key figures, participation by group (counts of people rounded to 5), top challenges and proposals, "
        "consensus, quotes, method and dates."
    )
    permission = staticmethod(can_analyse)
    formats = ALL_FORMATS
    report_hidden = frozenset({"group"})
    options = required_options = ("consultation",)
    option_sources = {"consultation": (Consultation.objects, "city_id")}
    labels = {
        "title": gettext_lazy("Title"),
        "starts_on": gettext_lazy("Starts on"),
        "ends_on": gettext_lazy("Ends on"),
        "sessions": gettext_lazy("Sessions"),
        "participants": gettext_lazy("Participants"),
        "submissions": gettext_lazy("Submissions"),
        "approved_submissions": gettext_lazy("Approved submissions"),
        "challenges": gettext_lazy("Challenges"),
        "proposals": gettext_lazy("Proposals"),
        "ballots": gettext_lazy("Ballots"),
        "points": gettext_lazy("Points given"),
        "group": gettext_lazy("Group code"),
        "label": gettext_lazy("Group"),
        "rank": gettext_lazy("Rank"),
        "text": gettext_lazy("Text"),
        "theme": gettext_lazy("Theme"),
        "votes": gettext_lazy("Votes"),
        "supporters": gettext_lazy("Supporters"),
        "kind": gettext_lazy("Kind"),
        "score": gettext_lazy("Consensus (%)"),
        "groups": gettext_lazy("Groups compared"),
        "session": gettext_lazy("Session"),
        "starts_at": gettext_lazy("Starts at"),
        "ends_at": gettext_lazy("Ends at"),
        "place": gettext_lazy("Place"),
        "district": gettext_lazy("District"),
        "phases": gettext_lazy("Phases used"),
        "challenge_voting": gettext_lazy("Challenge voting"),
        "proposal_voting": gettext_lazy("Proposal voting"),
        "dot_points": gettext_lazy("Points per participant"),
        "premoderation": gettext_lazy("Pre-moderation"),
        "published_at": gettext_lazy("Results published"),
    }

    def subject(self, city, options):
        return _consultation(city, options).title

    def tables(self, city, options):
        c = _consultation(city, options)
        participants = Participant.objects.filter(session__consultation=c)
        ballots = Ballot.objects.filter(session__consultation=c).aggregate(n=Count("id"), points=Sum("points"))
        submissions = Item.objects.filter(session__consultation=c).aggregate(
            n=Count("id"),
            approved=Count("id", filter=_approved()),
            challenges=Count("id", filter=_approved(ItemKind.CHALLENGE)),
            proposals=Count("id", filter=_approved(ItemKind.PROPOSAL)),
        )
        sessions = list(
            Session.objects.filter(consultation=c)
            .select_related("district")
            .annotate(people=Count("participants"))
            .order_by("starts_at", "created_at", "id")
        )
        total = participants.count()
        yield (
            _("Key figures"),
            [
                {
                    "title": c.title,
                    "starts_on": str(c.starts_on or ""),
                    "ends_on": str(c.ends_on or ""),
                    "sessions": len(sessions),
                    "participants": disclosure.people_round(total),
                    "submissions": submissions["n"],
                    "approved_submissions": submissions["approved"],
                    "challenges": submissions["challenges"],
                    "proposals": submissions["proposals"],
                    "ballots": ballots["n"],
                    "points": ballots["points"] or 0,
                }
            ],
        )
        yield _("Method and dates"), self._method(sessions)

        for field, choices, title in (
            ("gender", Gender, _("By gender")),
            ("age_band", AgeBand, _("By age band")),
        ):
            rows = participants.values(field).annotate(n=Count("id")).order_by()
            counts = {(r[field] or UNSAID): r["n"] for r in rows}
            yield title, _breakdown(counts, _choice_categories(choices), total), Chart("label", "participants")
        districts = [(str(d.pk), str(d)) for d in District.objects.filter(city=city).order_by("name")]
        districts.append((UNSAID, _("Not given or prefer not to say")))
        counts = {
            (str(r["district_id"]) if r["district_id"] else UNSAID): r["n"]
            for r in participants.values("district_id").annotate(n=Count("id")).order_by()
        }
        yield _("By district"), _breakdown(counts, districts, total), Chart("label", "participants")

        items = _items_frame(c)
        challenges = items[items["kind"] == ItemKind.CHALLENGE]
        proposals = items[items["kind"] == ItemKind.PROPOSAL]
        yield _("Top challenges"), _ranked(challenges, TOP), Chart("text", "votes", limit=10)
        by_theme = []
        no_theme = _("No theme")
        for theme, group in challenges.groupby("theme", sort=True):
            for row in _ranked(group, TOP_PER_THEME):
                by_theme.append({"theme": theme or no_theme, **{k: v for k, v in row.items() if k != "theme"}})
        yield _("Top challenges by theme"), by_theme
        yield _("Top proposals"), _ranked(proposals, TOP), Chart("text", "votes", limit=10)

        kinds = dict(ItemKind.choices)
        consensus = consensus_frame(c, items).head(TOP)
        yield (
            _("Consensus ranking"),
            [
                {
                    "rank": i,
                    "kind": str(kinds.get(r.kind, r.kind)),
                    "text": r.text,
                    "score": round(100 * float(r.score)),
                    "supporters": int(r.supporters),
                    "groups": int(r.groups),
                }
                for i, r in enumerate(consensus.itertuples(), start=1)
            ],
            Chart("text", "score", limit=10, percent=True),
        )
        quotes = items.sort_values(["kind", "theme", "votes", "id"], ascending=[True, True, False, True]).head(QUOTES)
        yield (
            _("Quotes"),
            [{"kind": str(kinds.get(r.kind, r.kind)), "theme": r.theme, "text": r.text} for r in quotes.itertuples()],
        )

    @staticmethod
    def _method(sessions: list[Session]) -> list[dict]:
        phases = dict(Phase.choices)
        methods = dict(VotingMethod.choices)
        people = {s.pk: s.people for s in sessions}
        shown, _total = disclosure.people_counts(people, total=sum(people.values()))
        return [
            {
                "session": s.title,
                "starts_at": _when(s.starts_at),
                "ends_at": _when(s.ends_at),
                "place": s.place,
                "district": str(s.district) if s.district else "",
                "phases": ", ".join(str(phases.get(p, p)) for p in s.phases),
                "challenge_voting": str(methods.get(s.challenge_voting_method, "")),
                "proposal_voting": str(methods.get(s.proposal_voting_method, "")),
                "dot_points": s.dot_points,
                "premoderation": _yes_no(s.premoderation),
                "join_policy": str(JoinPolicy(s.join_policy).label),  # who could join: docs/security.md
                "participants": shown[s.pk],
                "published_at": _when(s.published_at),
            }
            for s in sessions
        ]


def _approved(kind: str | None = None) -> Q:
    q = Q(status=ItemStatus.APPROVED)
    return q & Q(kind=kind) if kind else q


@register
class ConsultationBallots(BaseExporter):
    identifier = "consultation_ballots"
    verbose_name = gettext_lazy("Anonymous ballots")
    description = gettext_lazy(
        "One row per ballot with the voter's group answers, each as far as at least five voters of the session "
        "share them; no participant identifier."
    )
    permission = staticmethod(can_analyse)
    options = required_options = ("consultation",)
    option_sources = {"consultation": (Consultation.objects, "city_id")}

    def subject(self, city, options):
        return _consultation(city, options).title

    def tables(self, city, options):
        yield _("Ballots"), ballots_frame(_exported_ballots(_consultation(city, options)))

    def csv_tables(self, city, options):
        """On PostgreSQL the database writes the CSV rows itself (ballots_csv_rows); elsewhere pandas does."""
        ballots = _exported_ballots(_consultation(city, options))
        if connections[ballots.db].vendor != "postgresql":
            return None
        return [CsvTable(_("Ballots"), list(BALLOT_COLUMNS), ballots_csv_rows(ballots))]


def _exported_ballots(consultation: Consultation):
    """The ballots of the consultation's sessions whose voting is not open: two exports taken while a room votes
    would differ by the ballots cast in between (docs/privacy.md)."""
    return Ballot.objects.filter(session__consultation=consultation).exclude(session__phase__in=VOTING_PHASES)


VOTING_PHASES = (Phase.CHALLENGE_VOTING, Phase.PROPOSAL_VOTING)
BALLOT_COLUMNS = {  # column of the anonymous ballot table -> what it reads; no participant identifier
    "session": "session_id",
    "item": "item_id",
    "kind": "item__kind",
    "points": "points",
    "age_band": "profile_age_band",
    "gender": "profile_gender",
    "district": "profile_district",
}
_BALLOT_TEXT = ("kind", "age_band", "gender", "district")
# Profile columns that may be NULL (an answer the export leaves out, or no district): COPY's CSV is read back with a
# flag per column, since CSV cannot tell a NULL from an empty text.
_NULLABLE_PROFILE = {"age_band": "profile_age_band", "gender": "profile_gender", "district": "profile_district"}
# The profile columns stay in the table's format, always empty. A profile on a row, however generalised, publishes with
# the items' exact totals the number of each group's supporters of each item, counts of 1 to 4 included, which the
# live breakdowns hide, and subtracted from a published cell it gives a lone voter's ballot away (docs/privacy.md,
# "Disclosure control"). Breakdowns by group are read from the results and the summary, under disclosure control.
_PROFILE_COLUMNS = ("profile_age_band", "profile_gender", "profile_district")


def _profiles_left_out(ballots):
    """``ballots`` with profile_age_band, profile_gender and profile_district as NULL (empty cells): the anonymous
    ballot table shows no answer of any voter."""
    return ballots.annotate(**{column: Value(None, output_field=CharField()) for column in _PROFILE_COLUMNS})


def _ballot_rows(ballots):
    """Rows sorted by their own content: the same order whichever way they are read (without ORDER BY, PostgreSQL
    may pick another plan and order for the COPY than for the iterator), and an order that says nothing of who voted
    when (the table's own order roughly follows the ballots' creation, which would put one person's ballots
    together)."""
    return _profiles_left_out(ballots).order_by(*BALLOT_COLUMNS.values())


def ballots_frame(ballots, *, use_copy: bool | None = None) -> pd.DataFrame:
    """The anonymous ballot table of the ``ballots`` queryset, one row per ballot (BALLOT_COLUMNS), sorted as
    ``_ballot_rows`` says.

    On PostgreSQL the database writes the rows as CSV with ``COPY (SELECT …) TO STDOUT`` and pandas' C reader
    parses them, several times faster than reading them through the ORM's iterator, which the other backends keep
    (tests/exports/test_ballots_copy.py checks that both give the same export). ``use_copy`` forces one way. The CSV
    download on PostgreSQL skips this frame: ``ballots_csv_rows``.
    """
    rows = _ballot_rows(ballots).values_list(*BALLOT_COLUMNS.values())
    if use_copy is None:
        use_copy = connections[rows.db].vendor == "postgresql"
    if not use_copy:
        return pd.DataFrame.from_records(rows.iterator(chunk_size=20000), columns=list(BALLOT_COLUMNS))
    return _ballots_frame_copy(rows)


def _ballots_frame_copy(rows) -> pd.DataFrame:
    """The rows of ``rows`` (BALLOT_COLUMNS) by COPY … TO STDOUT in CSV, read with pandas.

    Text columns are read as text whatever they look like ("123", "NA", ""), with no missing-value guessing. CSV
    cannot tell a NULL from an empty text, so the query also says which profile answers are NULL (every one: the
    table shows no profile)."""
    flags = [f"_null_{column}" for column in _NULLABLE_PROFILE]
    flagged = rows.values_list(
        *BALLOT_COLUMNS.values(),
        *(
            ExpressionWrapper(Q(**{f"{field}__isnull": True}), output_field=BooleanField())
            for field in _NULLABLE_PROFILE.values()
        ),
    )
    sql, params = flagged.query.get_compiler(using=flagged.db).as_sql()
    buffer = io.BytesIO()
    for block in _copy_csv(sql, params, using=flagged.db):
        buffer.write(block)
    columns = list(BALLOT_COLUMNS)
    if not buffer.tell():
        return pd.DataFrame.from_records([], columns=columns)
    buffer.seek(0)
    frame = pd.read_csv(
        buffer,
        header=None,
        names=[*columns, *flags],
        dtype={**dict.fromkeys(_BALLOT_TEXT, str), **dict.fromkeys(flags, bool)},
        na_filter=False,
        true_values=["t"],
        false_values=["f"],
        encoding="utf-8",
    )
    for column, flag in zip(_NULLABLE_PROFILE, flags, strict=True):
        null = frame.pop(flag)
        if null.any():
            frame[column] = frame[column].mask(null)
    return frame


def ballots_csv_rows(ballots) -> Iterator[bytes | memoryview]:
    """The anonymous ballot table of ``ballots`` as the CSV rows ``render`` writes from ``ballots_frame``, written
    by PostgreSQL without pandas: the query of ballots_frame, sorted as there, then its text columns put through
    ``csv_text`` (formulas neutralised by the rule of escape_cell, an empty text as NULL so that both come out as an
    empty field) as the rows leave the sort. Computed in the same SELECT, those columns would go through the sort
    beside the raw ones: on a million ballots its spill grew from 58 to 91 MB and the COPY from 2.7 to 3.6–3.9 s.

    PostgreSQL's CSV quotes as pandas does (a comma, a quote, a line break) and writes numbers as Python does. One
    difference: a text holding a carriage return is quoted (RFC 4180), where the csv module of older Pythons (3.11.7
    here; fixed by CPython gh-67044) leaves it bare, a broken row for CSV readers. tests/exports/test_ballots_copy.py
    checks both."""
    rows = _ballot_rows(ballots).values_list(*BALLOT_COLUMNS.values())
    compiler = rows.query.get_compiler(using=rows.db)
    sorted_sql, sorted_params = compiler.as_sql()
    # SELECT <cells> FROM (<sorted rows>) AS ballots (<BALLOT_COLUMNS>) ORDER BY <the same>: the planner sees the rows
    # below already in that order and sorts nothing more. The names in the SQL are BALLOT_COLUMNS', quoted.
    quote = compiler.connection.ops.quote_name
    cells, params = [], []
    for name in BALLOT_COLUMNS:
        column = RawSQL(f"ballots.{quote(name)}", (), output_field=TextField())  # noqa: S611
        cell = csv_text(column) if name in _BALLOT_TEXT else column
        sql, cell_params = compiler.compile(cell.resolve_expression(rows.query))
        cells.append(sql)
        params.extend(cell_params)
    names = ", ".join(quote(name) for name in BALLOT_COLUMNS)
    order = ", ".join(f"ballots.{quote(name)}" for name in BALLOT_COLUMNS)
    sql = f"SELECT {', '.join(cells)} FROM ({sorted_sql}) AS ballots ({names}) ORDER BY {order}"  # noqa: S608
    return _copy_csv(sql, [*params, *sorted_params], using=rows.db)


def _copy_csv(sql: str, params, *, using: str) -> Iterator[bytes | memoryview]:
    """What PostgreSQL writes for the query ``sql`` with ``COPY (SELECT …) TO STDOUT (FORMAT csv)``, block by block,
    each to be used before the next is asked for. The SELECT is the ORM's own (or wraps it), so joins, filter and
    ORDER BY are those of the iterator. The iterator's server-side cursor never runs a parallel plan, and neither
    does this COPY (a parallel plan would reorder the rows)."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_parallel_workers_per_gather')")
        (workers,) = cursor.fetchone()
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:  # psycopg 3's COPY
            yield from copy
        cursor.execute("SELECT set_config('max_parallel_workers_per_gather', %s, true)", [workers])


def summary_for_consultation(consultation: Consultation, *, fmt: str = "json", language: str = "en") -> bytes:
    """The consultation summary of ``consultation`` in ``fmt`` (csv, xlsx, json, html, pdf), not logged: the same
    as ``render(REGISTRY["consultation_summary"](), city, {"consultation": pk}, fmt)``. For benchmarks and code
    that already checked the permission."""
    content, _content_type = render(
        ConsultationSummary(), consultation.city, {"consultation": consultation.pk}, fmt, language=language
    )
    return content


@key_figures_provider
def consultation_key_figures(city_ids: list[int]) -> dict[int, dict]:
    """Sessions, participants, submissions and ballots per city (four grouped counts)."""
    figures: dict[int, dict] = {}
    for column, queryset, path in (
        ("sessions", Session.objects, "consultation__city_id"),
        ("participants", Participant.objects, "session__consultation__city_id"),
        ("submissions", Item.objects, "session__consultation__city_id"),
        ("ballots", Ballot.objects, "session__consultation__city_id"),
    ):
        rows = queryset.filter(**{f"{path}__in": city_ids}).values(path).annotate(n=Count("id")).order_by()
        for r in rows:
            figures.setdefault(r[path], {})[column] = r["n"]
    return figures
