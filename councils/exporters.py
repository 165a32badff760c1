"""Exports of council records through the shared framework (cities/exports.py): the roster (with its file in the
import's format, for the council page), attendance per meeting, election results; a person's own data (JSON); and
this app's part of the network key figures."""

import json

import pandas as pd
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cities.exports import (
    ALL_FORMATS,
    IMPORT,
    TABLES,
    BaseExporter,
    Chart,
    ExportError,
    Table,
    export_filename,
    key_figures_provider,
    option_object,
    register,
    render,
)
from cities.permissions import can_analyse, can_keep_council

from . import rosters, selectors
from .models import (
    SEATED_STATUSES,
    Attendance,
    Council,
    Election,
    ElectionOutcome,
    ElectionStatus,
    Meeting,
    MemberRole,
    Membership,
    Person,
    Term,
)


def person_json(person: Person) -> bytes:
    return json.dumps(selectors.person_export(person), ensure_ascii=False, indent=2).encode()


# --- exports of the shared framework (cities/exports.py) ------------------------------------------------------


def _council(city) -> Council:
    council = Council.objects.filter(city=city).first()
    if council is None:
        raise ExportError(gettext("This city has no youth council."))
    return council


def _term(city, options) -> Term:
    council = _council(city)
    if options.get("term") not in (None, ""):
        return option_object(Term.objects.filter(council=council), options, "term")
    term = council.current_term()
    if term is None:
        raise ExportError(gettext("This council has no term yet."))
    return term


@register
class RosterExporter(BaseExporter):
    """The roster of a term (the current one unless option ``term``) with personal data: secretariat only. Its
    import layout is the file the council page downloads and the roster import reads back (councils.rosters)."""

    identifier = "council_roster"
    verbose_name = _("Council roster")
    description = _("Members of a term with their contacts and seats (personal data: secretariat only).")
    permission = staticmethod(can_keep_council)
    options = ("term",)
    option_sources = {"term": (Term.objects, "council__city_id")}
    layouts = (TABLES, IMPORT)

    def subject(self, city, options):
        term = _term(city, options)
        return f"{term.council} · {term}"

    def tables(self, city, options):
        term = _term(city, options)
        yield gettext("Roster"), list(self.rows(term))

    def import_table(self, city, options):
        rows = self.rows(_term(city, options))
        return Table("roster", pd.DataFrame(list(rows), columns=rosters.COLUMNS))

    def rows(self, term: Term, *, status: str = "all"):
        """One row per membership, with the import's columns (councils.rosters.COLUMNS)."""
        for m in selectors.roster(term, status=status):
            p = m.person
            yield {
                "full_name": p.full_name,
                "gender": p.gender,
                "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else "",
                "age_band": p.current_age_band,
                "district": p.district.name if p.district else "",
                "organisation": p.organisation,
                "phone": p.phone,
                "email": p.email,
                "role": m.role,
                "selection_method": m.selection_method,
                "starts_on": m.starts_on.isoformat(),
                "ends_on": m.ends_on.isoformat() if m.ends_on else "",
                "status": m.status,
                "committees": ";".join(sorted(c.name for c in m.committees.all())),
                "guardian_consent": "yes" if m.guardian_consent_at else "",
                "member_code": m.member_code,
            }

    def export(self, term: Term, fmt: str) -> tuple[bytes, str, str]:
        """The roster of ``term`` in the import layout, as the framework renders it (no permission, no audit: for
        code; people download it through the council page): (content, content type, file name)."""
        city = term.council.city
        content, content_type = render(self, city, {"term": term.pk}, fmt, layout=IMPORT)
        return content, content_type, export_filename(self.identifier, fmt, city)


@register
class CouncilAttendance(BaseExporter):
    """Per meeting: members seated on that day, members present and the rate. Counts only, no names."""

    identifier = "council_attendance"
    verbose_name = _("Council attendance per meeting")
    description = _("For each meeting: members seated that day, members present, attendance rate.")
    permission = staticmethod(can_analyse)
    formats = ALL_FORMATS
    labels = {
        "meeting": _("Meeting"),
        "scheduled_at": _("Date"),
        "place": _("Place"),
        "seated": _("Members seated"),
        "present": _("Present"),
        "rate": _("Attendance (%)"),
    }

    def subject(self, city, options):
        return str(_council(city))

    def tables(self, city, options):
        council = _council(city)
        meetings = pd.DataFrame(
            list(Meeting.objects.filter(council=council).values("id", "title", "scheduled_at", "place")),
            columns=["id", "title", "scheduled_at", "place"],
        )
        seats = pd.DataFrame(
            list(Membership.objects.filter(term__council=council).values("starts_on", "ends_on")),
            columns=["starts_on", "ends_on"],
        )
        present = dict(
            Attendance.objects.filter(meeting__council=council)
            .values("meeting_id")
            .annotate(n=Count("id"))
            .values_list("meeting_id", "n")
        )
        rows = []
        for m in meetings.sort_values("scheduled_at").itertuples():
            day = timezone.localtime(m.scheduled_at).date()
            seated = int(((seats["starts_on"] <= day) & (seats["ends_on"].isna() | (seats["ends_on"] >= day))).sum())
            n = present.get(m.id, 0)
            rows.append(
                {
                    "meeting": m.title,
                    "scheduled_at": timezone.localtime(m.scheduled_at).strftime("%Y-%m-%d %H:%M"),
                    "place": m.place,
                    "seated": seated,
                    "present": n,
                    "rate": round(100 * n / seated) if seated else 0,
                }
            )
        yield gettext("Attendance per meeting"), rows, Chart("meeting", "rate", percent=True)


@register
class CouncilElections(BaseExporter):
    """Every election of the council with its outcome, and the votes per candidate of closed elections (the count
    recorded when voting closed). Candidates' names: secretariat only."""

    identifier = "council_elections"
    verbose_name = _("Council election results")
    description = _("Elections with turnout and outcome, and the votes per candidate once voting has closed.")
    permission = staticmethod(can_keep_council)
    formats = ALL_FORMATS
    labels = {
        "election": _("Election"),
        "term": _("Term"),
        "role": _("Role elected"),
        "status": _("Status"),
        "closed_at": _("Closed"),
        "eligible": _("Members who may vote"),
        "turnout": _("Voted"),
        "blank": _("Blank ballots"),
        "outcome": _("Outcome"),
        "winner": _("Winner"),
        "candidate": _("Candidate"),
        "votes": _("Votes"),
    }

    def subject(self, city, options):
        return str(_council(city))

    def tables(self, city, options):
        council = _council(city)
        elections = list(
            Election.objects.filter(council=council)
            .select_related("term", "winner__person")
            .prefetch_related("candidates__person")
            .order_by("created_at", "id")
        )
        roles, statuses = dict(MemberRole.choices), dict(ElectionStatus.choices)
        outcomes = dict(ElectionOutcome.choices)
        summary, votes = [], []
        for e in elections:
            closed = e.status == ElectionStatus.CLOSED
            tally = e.tally if closed and isinstance(e.tally, dict) else {}
            summary.append(
                {
                    "election": e.title,
                    "term": e.term.name,
                    "role": str(roles.get(e.role, e.role)),
                    "status": str(statuses.get(e.status, e.status)),
                    "closed_at": timezone.localtime(e.closed_at).strftime("%Y-%m-%d %H:%M") if e.closed_at else "",
                    "eligible": e.eligible_count,
                    "turnout": tally.get("turnout", "") if closed else "",
                    "blank": tally.get("blank", "") if closed else "",
                    "outcome": str(outcomes.get(e.outcome, e.outcome)),
                    "winner": str(e.winner.person) if e.winner else "",
                }
            )
            if not closed:
                continue
            counts = tally.get("candidates", {})
            for candidate in sorted(e.candidates.all(), key=lambda m: (-counts.get(str(m.pk), 0), m.pk)):
                votes.append(
                    {
                        "election": e.title,
                        "candidate": str(candidate.person),
                        "votes": counts.get(str(candidate.pk), 0),
                        "winner": gettext("yes") if candidate.pk == e.winner_id else "",
                    }
                )
        yield gettext("Elections"), summary
        yield gettext("Votes per candidate"), votes


@key_figures_provider
def council_key_figures(city_ids: list[int]) -> dict[int, dict]:
    """Members seated today in the council of each city (one grouped count)."""
    today = timezone.localdate()
    rows = (
        Membership.objects.filter(
            term__council__city_id__in=city_ids,
            status__in=SEATED_STATUSES,
            term__starts_on__lte=today,
            term__ends_on__gte=today,
        )
        .values("term__council__city_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["term__council__city_id"]: {"council_members": r["n"]} for r in rows}
