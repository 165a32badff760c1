"""The network key figures: per city of a network and in total, for the network's administrators only.

The figures come from the providers the other apps register (``cities.exports.key_figures_provider``), so that
this app imports none of them. Counts of people (participants, council members) are suppressed per column with
complementary suppression, since the total row is published.
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .exports import ALL_FORMATS, KEY_FIGURES, SMALL, SMALL_CELL, BaseExporter, Chart, register, suppress_counts
from .permissions import networks_for_admin

COUNT_COLUMNS = ("sessions", "participants", "submissions", "ballots", "council_members", "funded_projects")
PEOPLE_COLUMNS = ("participants", "council_members")


def can_see_network(user, network) -> bool:
    return networks_for_admin(user).filter(pk=network.pk).exists()


@register
class NetworkKeyFigures(BaseExporter):
    identifier = "network_key_figures"
    verbose_name = _("Network key figures")
    description = _(
        "Per city of the network and in total: sessions, participants, submissions, ballots, council members, "
        "funded projects and budget granted. Small counts of people are hidden."
    )
    permission = staticmethod(can_see_network)
    scope = "network"
    formats = ALL_FORMATS
    labels = {
        "city": _("City"),
        "country": _("Country"),
        "sessions": _("Sessions"),
        "participants": _("Participants"),
        "submissions": _("Submissions"),
        "ballots": _("Ballots"),
        "council_members": _("Council members"),
        "funded_projects": _("Funded projects"),
        "budget_granted": _("Budget granted"),
        "currency": _("Currency"),
        "cities": _("Cities"),
    }

    def subject(self, network, options):
        return network.name

    def tables(self, network, options):
        cities = list(network.cities.order_by("slug"))
        ids = [c.pk for c in cities]
        figures: dict[int, dict] = {pk: {} for pk in ids}
        for provider in KEY_FIGURES:
            for city_id, values in provider(ids).items():
                figures.setdefault(city_id, {}).update(values)
        raw = {pk: {column: figures[pk].get(column, 0) for column in COUNT_COLUMNS} for pk in ids}
        totals = {column: sum(raw[pk][column] for pk in ids) for column in COUNT_COLUMNS}
        shown = {pk: dict(values) for pk, values in raw.items()}
        for column in PEOPLE_COLUMNS:
            if len(ids) > 1:
                hidden = suppress_counts({pk: raw[pk][column] for pk in ids})
            else:  # one city: its row is the total, so a small count is hidden in both
                hidden = {pk: (SMALL if raw[pk][column] < SMALL_CELL else raw[pk][column]) for pk in ids}
                if ids and raw[ids[0]][column] < SMALL_CELL:
                    totals[column] = SMALL
            for pk in ids:
                shown[pk][column] = hidden[pk]
        budgets: dict[str, float] = {}
        rows = []
        for city in cities:
            granted = figures[city.pk].get("budget_granted", {})
            for currency, amount in granted.items():
                budgets[currency] = budgets.get(currency, 0) + amount
            rows.append(
                {
                    "city": city.name,
                    "country": city.country,
                    **shown[city.pk],
                    # a number, or "amount; amount" in the rare city with grants in several currencies
                    "budget_granted": next(iter(granted.values()))
                    if len(granted) == 1
                    else "; ".join(f"{amount:.2f}" for amount in granted.values()) or 0,
                    "currency": "; ".join(granted) or city.currency,
                }
            )
        single = len(budgets) == 1
        rows.append(
            {
                "city": gettext("Total"),
                "country": "",
                **totals,
                "budget_granted": round(next(iter(budgets.values())), 2) if single else "",
                "currency": next(iter(budgets)) if single else "",
            }
        )
        yield gettext("Key figures by city"), rows, Chart("city", "participants")
        yield (
            gettext("Budget granted by currency"),
            [{"currency": c, "budget_granted": round(a, 2)} for c, a in sorted(budgets.items())],
        )
        yield gettext("Network"), [{"title": network.name, "cities": len(cities)}]
