"""Consultation exporters: the summary (aggregated in the database) and the anonymous ballot table."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from cities.exports import BaseExporter, register, suppress_counts
from cities.permissions import can_analyse
from consultations.models import Ballot, Consultation, Item, ItemStatus, Participant, Session


def _consultation(city, options) -> Consultation:
    return Consultation.objects.get(city=city, pk=options["consultation"])


@register
class ConsultationSummary(BaseExporter):
    identifier = "consultation_summary"
    verbose_name = _("Consultation summary")
    permission = staticmethod(can_analyse)

    def tables(self, city, options):
        c = _consultation(city, options)
        participants = Participant.objects.filter(session__consultation=c)
        ballots = Ballot.objects.filter(session__consultation=c)
        items = Item.objects.filter(session__consultation=c)
        yield (
            _("Key figures"),
            [
                {
                    "title": c.title,
                    "starts_on": str(c.starts_on or ""),
                    "ends_on": str(c.ends_on or ""),
                    "sessions": Session.objects.filter(consultation=c).count(),
                    "participants": participants.count(),
                    "submissions": items.count(),
                    "ballots": ballots.count(),
                }
            ],
        )
        for field, title in (
            ("gender", _("By gender")),
            ("age_band", _("By age band")),
            ("district__name", _("By district")),
        ):
            counts = {
                (r[field] or "-"): r["n"] for r in participants.values(field).annotate(n=Count("id")).order_by(field)
            }
            shown = suppress_counts(counts)
            yield title, [{"group": k, "participants": v} for k, v in shown.items()]
        ranking = (
            items.filter(status=ItemStatus.APPROVED)
            .values("id", "kind", "text")
            .annotate(votes=Sum("ballots__points"), supporters=Count("ballots"))
            .order_by("-votes", "id")[:50]
        )
        yield _("Top items"), [{**r, "votes": r["votes"] or 0} for r in ranking]


@register
class ConsultationBallots(BaseExporter):
    identifier = "consultation_ballots"
    verbose_name = _("Anonymous ballots")
    permission = staticmethod(can_analyse)

    def tables(self, city, options):
        c = _consultation(city, options)
        rows = Ballot.objects.filter(session__consultation=c).values_list(
            "session_id",
            "item_id",
            "item__kind",
            "points",
            "participant__age_band",
            "participant__gender",
            "participant__district__name",
        )
        cols = ["session", "item", "kind", "points", "age_band", "gender", "district"]
        yield _("Ballots"), [dict(zip(cols, r, strict=True)) for r in rows.iterator()]
