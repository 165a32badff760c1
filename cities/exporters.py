"""The network key figures: per city of a network and in total, for the network's administrators only.

The figures come from the providers the other apps register (``cities.exports.key_figures_provider``), so that
this app imports none of them. Counts of people (participants, council members) are published as
cities.disclosure.people_counts publishes them: rounded to 5 per city and in total, audited per column, so that no
city's count and no difference between two dates (a small city's first session) can be worked out. Ballots, which
bound the number of voters from below, are rounded to 5 as well (docs/privacy.md, "Disclosure control").
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .disclosure import people_counts, people_round
from .exports import ALL_FORMATS, KEY_FIGURES, BaseExporter, Chart, register
from .permissions import networks_for_admin

COUNT_COLUMNS = ("sessions", "participants", "submissions", "ballots", "council_members", "funded_projects")
PEOPLE_COLUMNS = ("participants", "council_members")
ROUNDED_COLUMNS = ("ballots",)


def can_see_network(user, network) -> bool:
    return networks_for_admin(user).filter(pk=network.pk).exists()


@register
class NetworkKeyFigures(BaseExporter):
    identifier = "network_key_figures"
    verbose_name = _("Network key figures")
    description = _(
        "Per city of the network and in total: sessions, participants, submissions, ballots, council members, "
        "funded projects and budget granted. Counts of people and ballots are rounded to 5."
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
            hidden, totals[column] = people_counts({pk: raw[pk][column] for pk in ids}, total=totals[column])
            for pk in ids:
                shown[pk][column] = hidden[pk]
        for column in ROUNDED_COLUMNS:
            totals[column] = people_round(totals[column])
            for pk in ids:
                shown[pk][column] = people_round(raw[pk][column])
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
