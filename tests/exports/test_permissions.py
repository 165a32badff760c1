"""Who may run which exporter, role by role (design brief: personal data only where the role needs it)."""

import pytest

from cities.exports import REGISTRY, exporters_for, run_export
from cities.models import ExportLog

CITY_EXPORTERS = {
    "consultation_summary",
    "consultation_ballots",
    "council_roster",
    "council_attendance",
    "council_elections",
    "funding_call_results",
    "project_portfolio",
}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("analyst", CITY_EXPORTERS - {"council_roster", "council_elections"}),
        ("facilitator", CITY_EXPORTERS - {"council_roster", "council_elections"}),
        ("secretariat", CITY_EXPORTERS),
        ("city_admin", CITY_EXPORTERS),
        ("charlie", set()),
        ("network_admin", set()),
    ],
)
def test_city_exporters_per_role(request, city_a, persona, expected):
    user = request.getfixturevalue(persona)
    assert {cls.identifier for cls in exporters_for(user, city_a)} == expected


def test_roster_is_refused_to_analysts_and_nothing_is_logged(city_a, analyst, council_data):
    with pytest.raises(LookupError):
        run_export(identifier="council_roster", city=city_a, fmt="csv", options={}, actor=analyst, channel="web")
    assert not ExportLog.objects.exists()


def test_network_figures_only_for_the_networks_administrators(network, network_admin, city_admin, charlie, analyst):
    cls = REGISTRY["network_key_figures"]
    assert cls.allowed(network_admin, network)
    for user in (city_admin, charlie, analyst):
        assert not cls.allowed(user, network)
        with pytest.raises(LookupError):
            run_export(
                identifier="network_key_figures", network=network, fmt="json", options={}, actor=user, channel="api"
            )
    assert exporters_for(network_admin, network, scope="network") == [cls]
    run_export(
        identifier="network_key_figures", network=network, fmt="json", options={}, actor=network_admin, channel="web"
    )
    log = ExportLog.objects.get()
    assert (log.actor, log.city, log.exporter) == (network_admin, None, "network_key_figures")


def test_a_city_exporter_never_runs_on_another_citys_objects(city_a, city_b, charlie, summary_data):
    """Charlie may run exports of Saida, but options naming a Fes consultation find nothing there."""
    with pytest.raises(ValueError):
        run_export(
            identifier="consultation_summary",
            city=city_b,
            fmt="json",
            options={"consultation": summary_data.consultation.pk},
            actor=charlie,
            channel="web",
        )
    assert not ExportLog.objects.exists()
