"""Council, funding and network exporters on known data (tests/exports/conftest.py)."""

import json

import pytest

from cities.exports import REGISTRY, ExportError, render
from tests.factories import ConsultationFactory, ParticipantFactory, SessionFactory


def _json(identifier, target, options=None):
    return json.loads(render(REGISTRY[identifier](), target, options or {}, "json")[0])


def test_roster_has_the_members_with_their_personal_fields(city_a, council_data):
    rows = _json("council_roster", city_a)["Roster"]
    assert sorted(r["full_name"] for r in rows) == ["Member 0", "Member 1", "Member 2", "Member 3"]
    assert {"phone", "email", "date_of_birth", "member_code"} <= set(rows[0])
    assert rows[0]["email"].endswith("@example.org")
    assert {r["role"] for r in rows} == {"president", "member"}  # the election made Member 0 president


def test_roster_of_another_citys_term_is_refused(city_a, city_b, council_data):
    with pytest.raises(ExportError):
        render(REGISTRY["council_roster"](), city_b, {"term": council_data["term"].pk}, "json")


def test_attendance_per_meeting(city_a, council_data):
    (row,) = _json("council_attendance", city_a)["Attendance per meeting"]
    assert (row["meeting"], row["seated"], row["present"], row["rate"]) == ("Plenary", 4, 3, 75)
    assert "Member 0" not in json.dumps(row)  # counts only


def test_election_results_with_votes_per_candidate(city_a, council_data):
    data = _json("council_elections", city_a)
    (election,) = data["Elections"]
    assert (election["election"], election["turnout"], election["blank"], election["winner"]) == (
        "President",
        4,
        0,
        "Member 0",
    )
    assert election["outcome"] == "Winner"
    assert [(r["candidate"], r["votes"], r["winner"]) for r in data["Votes per candidate"]] == [
        ("Member 0", 4, "yes"),
        ("Member 1", 0, ""),
    ]


def test_funding_call_results_say_why(city_a, funding_data):
    data = _json("funding_call_results", city_a, {"call": funding_data["call"].pk})
    call = data["Call"][0]
    assert (call["budget"], call["allocated"], call["remaining"], call["funded"]) == (5000.0, 3000.0, 2000.0, 1)
    rows = {r["title"]: r for r in data["Proposals and decisions"]}
    assert (rows["Library corner"]["rank"], rows["Library corner"]["outcome"], rows["Library corner"]["grant"]) == (
        1,
        "Funded",
        3000.0,
    )
    assert "fitted in the 5000.00 MAD left" in rows["Library corner"]["why"]
    assert rows["Football league"]["outcome"] == "Did not fit in the remaining budget"
    assert "did not fit in the 2000.00 MAD left" in rows["Football league"]["why"]
    assert rows["Too late"]["why"] == "Not eligible: Team too small"
    assert "Amina" not in json.dumps(data)  # team members' names never appear


def test_project_portfolio_with_tranches_ledger_and_milestones(city_a, funding_data):
    (row,) = _json("project_portfolio", city_a)["Projects"]
    assert (row["project"], row["grant"], row["tranches_planned"], row["tranches_paid"], row["paid"]) == (
        "Library corner",
        3000.0,
        2,
        1,
        2000.0,
    )
    assert (row["spent"], row["refunded"], row["balance"]) == (750.5, 0.0, 1249.5)
    assert (row["milestones"], row["milestones_done"], row["progress"]) == (2, 1, 50)


def test_network_key_figures_per_city_and_total_with_people_rounded(
    network, city_a, city_b, summary_data, funding_data
):
    before = {r["city"]: r for r in _json("network_key_figures", network)["Key figures by city"]}
    assert (before["Saida"]["participants"], before["Total"]["participants"]) == (0, 30)
    saida = SessionFactory(consultation=ConsultationFactory(city=city_b))
    for _ in range(3):
        ParticipantFactory(session=saida)
    data = _json("network_key_figures", network)
    rows = {r["city"]: r for r in data["Key figures by city"]}
    assert (rows["Fes"]["sessions"], rows["Fes"]["submissions"], rows["Fes"]["ballots"]) == (1, 4, 60)  # 60: rounded
    assert (rows["Fes"]["funded_projects"], rows["Fes"]["budget_granted"], rows["Fes"]["currency"]) == (
        1,
        3000.0,
        "MAD",
    )
    # Saida has 3 participants, Fes 30, 33 in all: rounded to 5, so the total before Saida's session (30) and
    # after (35) say Saida has 3 to 7 (with 0 to 2 before), not 3.
    assert (rows["Saida"]["participants"], rows["Fes"]["participants"]) == (5, 30)
    assert rows["Total"]["participants"] == 35 and rows["Total"]["sessions"] == 2
    assert data["Budget granted by currency"] == [{"currency": "MAD", "budget_granted": 3000.0}]
    assert "Member" not in json.dumps(data)
