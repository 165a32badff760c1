"""The consultation summary on known data (tests/exports/conftest.py: 30 participants, 60 ballots)."""

import json

from cities.exports import HIDDEN, REGISTRY, render
from consultations.exporters import summary_for_consultation


def _summary(city, data, language="en"):
    exp = REGISTRY["consultation_summary"]()
    return json.loads(render(exp, city, {"consultation": data.consultation.pk}, "json", language=language)[0])


def test_key_figures_match_the_database(city_a, summary_data):
    figures = _summary(city_a, summary_data)["Key figures"][0]
    assert figures["title"] == "Youth and the city"
    assert figures["starts_on"] == "2026-03-01"
    assert (figures["sessions"], figures["participants"], figures["ballots"], figures["points"]) == (1, 30, 60, 60)
    assert (figures["submissions"], figures["approved_submissions"]) == (4, 3)
    assert (figures["challenges"], figures["proposals"]) == (2, 1)


def test_breakdowns_list_every_group_rounded_to_five(city_a, summary_data):
    """Counts of people are rounded to 5 (cities.disclosure.people_counts): 26 women -> 25, 4 men -> 5, none -> 0."""
    data = _summary(city_a, summary_data)
    gender = {r["group"]: r["participants"] for r in data["By gender"]}
    assert gender == {"female": 25, "male": 5, "other": 0, "unsaid": 0}
    ages = {r["group"]: r["participants"] for r in data["By age band"]}
    assert len(ages) == 7 and ages["18_24"] == 30 and set(ages.values()) == {30, 0}
    district = {r["label"]: r["participants"] for r in data["By district"]}
    assert district == {"Fes-Medina": 25, "Saiss": 0, "Not given or prefer not to say": 5}


def test_a_table_whose_cells_sit_at_the_edges_of_their_rounding_hides_one():
    """Four groups at the top of their rounding interval and the total at the bottom of its own would pin the
    small group to 2: the audit hides counts until every one has two possible values."""
    from cities.disclosure import people_counts

    shown, total = people_counts({"a": 7, "b": 7, "c": 7, "d": 2}, total=23)
    assert total == 25 and HIDDEN in shown.values()


def test_top_challenges_overall_and_by_theme_and_top_proposals(city_a, summary_data):
    data = _summary(city_a, summary_data)
    assert [(r["rank"], r["text"], r["votes"], r["supporters"]) for r in data["Top challenges"]] == [
        (1, "Clean water", 20, 20),
        (2, "=cmd|'/c calc'!A1", 10, 10),
    ]
    assert [(r["theme"], r["text"]) for r in data["Top challenges by theme"]] == [
        ("Environment", "Clean water"),
        ("Work", "=cmd|'/c calc'!A1"),
    ]
    assert [(r["text"], r["votes"]) for r in data["Top proposals"]] == [("A park by the river", 30)]


def test_consensus_ranking_uses_only_the_published_breakdowns(city_a, summary_data):
    """The session's voters: 26 women and 4 men (pooled with the women: no gender breakdown), all 18-24 (one group:
    none), 25 from Fes-Medina and 5 without a district. Park: all 30, so 25 of 25 in Fes-Medina -> 100. Water: 20
    of Fes-Medina, hidden with its complement (the five without a district gave it nothing), at least 16 of 25 ->
    64. Jobs: five of each district group would pin the small one: no breakdown, 10 of 30 participants -> 33."""
    ranking = _summary(city_a, summary_data)["Consensus ranking"]
    assert [(r["text"], r["score"], r["groups"]) for r in ranking] == [
        ("A park by the river", 100, 1),
        ("Clean water", 64, 1),
        ("=cmd|'/c calc'!A1", 33, 0),
    ]


def test_quotes_are_approved_items_only(city_a, summary_data):
    quotes = [r["text"] for r in _summary(city_a, summary_data)["Quotes"]]
    assert quotes == ["Clean water", "=cmd|'/c calc'!A1", "A park by the river"]
    assert "Unmoderated words" not in json.dumps(_summary(city_a, summary_data))


def test_method_and_dates_per_session(city_a, summary_data):
    (row,) = _summary(city_a, summary_data)["Method and dates"]
    assert (row["session"], row["place"], row["participants"]) == ("Evening session", "Dar Batha", 30)
    assert "Lobby" in row["phases"] and row["challenge_voting"].startswith("Approval")


def test_summary_is_translated_for_arabic(city_a, summary_data):
    data = _summary(city_a, summary_data, language="ar")
    assert "Key figures" not in data  # table titles in the user's language
    assert len(data) == 10


def test_summary_for_consultation_is_the_registered_exporter(city_a, summary_data):
    data = json.loads(summary_for_consultation(summary_data.consultation, fmt="json"))
    assert data == _summary(city_a, summary_data)


def test_ballot_export_has_no_participant_id(city_a, summary_data):
    exp = REGISTRY["consultation_ballots"]()
    data = json.loads(render(exp, city_a, {"consultation": summary_data.consultation.pk}, "json")[0])
    assert len(data["Ballots"]) == 60
    assert set(data["Ballots"][0]) == {"session", "item", "kind", "points", "age_band", "gender", "district"}


def test_consensus_counts_districts_when_a_non_voter_gave_none(city_a):
    """A district id read next to a missing one (3.0) and alone (3) is the same group."""
    from consultations.models import Ballot, ItemStatus
    from tests.factories import ConsultationFactory, ItemFactory, ParticipantFactory, SessionFactory

    c = ConsultationFactory(city=city_a)
    s = SessionFactory(consultation=c)
    medina = city_a.districts.get(name="Fes-Medina")
    voters = [ParticipantFactory(session=s, gender="female", age_band="18_24", district=medina) for _ in range(6)]
    ParticipantFactory(session=s, gender="female", age_band="18_24", district=None)
    item = ItemFactory(session=s, kind="challenge", text="Buses", status=ItemStatus.APPROVED)
    other = ItemFactory(session=s, kind="challenge", text="Parks", status=ItemStatus.APPROVED)
    Ballot.objects.bulk_create([Ballot(session=s, participant=p, item=item) for p in voters[:3]])
    Ballot.objects.bulk_create([Ballot(session=s, participant=p, item=other) for p in voters])
    rows = json.loads(summary_for_consultation(c))["Consensus ranking"]
    # Six voters, all women of 18-24 from Fes-Medina: one group per question, no breakdown; the share of the 7.
    assert [(r["text"], r["groups"], r["score"]) for r in rows] == [("Parks", 0, 86), ("Buses", 0, 43)]


def test_two_summaries_a_session_apart_do_not_give_the_small_session_away(city_a, summary_data):
    """A second session of three men: before, 4 men and 30 people; after, 7 men and 33. Exact figures would say
    "the new session had 3 people, all men"; rounded, every count and total differs by 0 or 5."""
    from tests.factories import ParticipantFactory, SessionFactory

    before = _summary(city_a, summary_data)
    later = SessionFactory(consultation=summary_data.consultation, title="Small session")
    for _n in range(3):
        ParticipantFactory(session=later, gender="male", age_band="18_24", district=None)
    after = _summary(city_a, summary_data)
    figures = (before["Key figures"][0]["participants"], after["Key figures"][0]["participants"])
    assert figures == (30, 35)
    men = [{r["group"]: r["participants"] for r in data["By gender"]}["male"] for data in (before, after)]
    assert men == [5, 5]
    assert {r["session"]: r["participants"] for r in after["Method and dates"]} == {
        "Evening session": 30,
        "Small session": 5,
    }
