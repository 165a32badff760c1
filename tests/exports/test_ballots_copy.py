"""The anonymous ballot table read three ways: on PostgreSQL its CSV written by the database itself (COPY, no
pandas), its other formats read by COPY into pandas; the ORM's iterator on the other backends. Same rows, same
order, the same bytes of CSV, JSON and Excel, no participant id and no voter's profile."""

import csv
import functools
import io
import json

import openpyxl
import pytest
from django.db import connection

from cities.exports import BaseExporter, run_export
from consultations import exporters
from consultations.models import Ballot, ItemStatus
from tests.factories import ConsultationFactory, DistrictFactory, ItemFactory, ParticipantFactory, SessionFactory

COLUMNS = ["session", "item", "kind", "points", "age_band", "gender", "district"]
# District names that a careless reader would turn into a formula, a number, a missing value or a broken line.
NAMES = [
    '=HYPERLINK("http://evil.example","x")',
    "فاس المدينة",
    "123",
    "NA",
    "",
    ' "Quoted", with a comma',
    "two\nlines",
    " leading space",
    "-1+1",
    "+212 5 35",
    "@SUM(A1)",
    "\ttab first",
    "C:\\back\\slash",
]
HEADER = b"session,item,kind,points,age_band,gender,district\n"


@pytest.fixture
def ballots(city_a):
    """Ballots of one consultation (voters with a district of each name, one who gave none, blank answers: none of
    which the table shows), and one ballot of another consultation that must not appear. Returns (consultation,
    expected rows)."""
    c = ConsultationFactory(city=city_a)
    sessions = [SessionFactory(consultation=c), SessionFactory(consultation=c)]
    districts = [DistrictFactory(city=city_a, name=name) for name in NAMES] + [None]
    items = [
        ItemFactory(session=s, kind=kind, status=ItemStatus.APPROVED)
        for s in sessions
        for kind in ("challenge", "proposal")
    ]
    expected, made = [], []
    for n, district in enumerate(districts):
        session = sessions[n % 2]
        person = ParticipantFactory(
            session=session,
            gender=["female", "male", ""][n % 3],
            age_band=["18_24", "", "30_35"][n % 3],
            district=district,
        )
        for item in (i for i in items if i.session_id == session.pk):
            points = 1 + n % 3
            made.append(Ballot(session=session, participant=person, item=item, points=points))
            expected.append([session.pk, item.pk, item.kind, points, None, None, None])
    Ballot.objects.bulk_create(made)
    other = SessionFactory(consultation=ConsultationFactory(city=city_a))
    Ballot.objects.create(
        session=other, participant=ParticipantFactory(session=other), item=ItemFactory(session=other), points=1
    )
    return c, expected


def _export(city, consultation, fmt, language="en"):
    return run_export(
        identifier="consultation_ballots",
        city=city,
        fmt=fmt,
        options={"consultation": consultation.pk},
        channel="cli",
        language=language,
    )[0]


def _csv_rows(content: bytes, title: str = "Ballots") -> list[list[str]]:
    first, *lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert first == [title]
    return [line for line in lines if line]


def _through_pandas(monkeypatch):
    """From here on the CSV is written by pandas from ballots_frame, as on the other backends."""
    monkeypatch.setattr(exporters.ConsultationBallots, "csv_tables", BaseExporter.csv_tables)


def _xlsx_rows(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_ballot_table_has_the_rows_of_the_consultation(city_a, ballots):
    """On every backend, whichever way it reads: compared with rows built from the objects themselves."""
    consultation, expected = ballots
    data = json.loads(_export(city_a, consultation, "json"))["Ballots"]
    assert sorted((list(d) for d in data), key=repr) == [COLUMNS] * len(expected)
    assert sorted((list(d.values()) for d in data), key=repr) == sorted(expected, key=repr)
    header, *rows = _csv_rows(_export(city_a, consultation, "csv"))
    assert header == COLUMNS
    assert sorted(rows) == sorted([str(v) for v in row[:4]] + ["", "", ""] for row in expected)
    # Sorted by content (session, item, kind, points, …), not by when or by whom the ballots were cast.
    keys = [(int(r[0]), int(r[1]), r[2], int(r[3])) for r in rows]
    assert keys == sorted(keys)
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_ballot_csv_is_written_by_the_database_only_on_postgresql(city_a, ballots):
    consultation, _expected = ballots
    tables = exporters.ConsultationBallots().csv_tables(city_a, {"consultation": consultation.pk})
    assert (tables is None) == (connection.vendor != "postgresql")


@pytest.mark.postgres
@pytest.mark.parametrize("with_ballots", [True, False])
def test_copy_and_iterator_give_the_same_export(city_a, ballots, monkeypatch, with_ballots):
    """JSON and Excel go through ballots_frame both ways; so does the CSV once the database does not write it."""
    consultation, _expected = ballots
    if not with_ballots:
        Ballot.objects.filter(session__consultation=consultation).delete()
    _through_pandas(monkeypatch)
    read_by_copy = []
    copy = exporters._ballots_frame_copy
    monkeypatch.setattr(exporters, "_ballots_frame_copy", lambda *a: read_by_copy.append(1) or copy(*a))
    by_copy = {fmt: _export(city_a, consultation, fmt) for fmt in ("csv", "json", "xlsx")}
    assert len(read_by_copy) == 3  # PostgreSQL's default is COPY

    monkeypatch.setattr(exporters, "ballots_frame", functools.partial(exporters.ballots_frame, use_copy=False))
    by_iterator = {fmt: _export(city_a, consultation, fmt) for fmt in ("csv", "json", "xlsx")}
    assert len(read_by_copy) == 3

    assert by_copy["csv"] == by_iterator["csv"]
    assert by_copy["json"] == by_iterator["json"]
    assert _xlsx_rows(by_copy["xlsx"]) == _xlsx_rows(by_iterator["xlsx"])
    rows = _csv_rows(by_copy["csv"])[1:]
    assert len(rows) == (2 * (len(NAMES) + 1) if with_ballots else 0)
    assert all(r[4:] == ["", "", ""] for r in rows)
    profiles = [(r["age_band"], r["gender"], r["district"]) for r in json.loads(by_copy["json"])["Ballots"]]
    assert set(profiles) <= {(None, None, None)}  # NULL, not ""


@pytest.mark.postgres
@pytest.mark.parametrize("language", ["en", "ar"])
def test_csv_written_by_the_database_is_byte_identical_to_pandas(city_a, ballots, monkeypatch, language):
    """The bytes PostgreSQL's COPY writes, title (Arabic too), header, empty profile cells, blank line and BOM
    included, are those pandas writes from the COPY frame and from the ORM's iterator; pandas is not used."""
    consultation, _expected = ballots
    frames = []
    frame = exporters.ballots_frame
    monkeypatch.setattr(exporters, "ballots_frame", lambda *a, **k: frames.append(1) or frame(*a, **k))
    by_database = _export(city_a, consultation, "csv", language)
    assert frames == []

    _through_pandas(monkeypatch)
    by_copy_frame = _export(city_a, consultation, "csv", language)
    monkeypatch.setattr(exporters, "ballots_frame", functools.partial(frame, use_copy=False))
    by_iterator = _export(city_a, consultation, "csv", language)
    assert frames == [1]

    assert by_database == by_copy_frame == by_iterator
    title = "أوراق التصويت" if language == "ar" else "Ballots"
    assert by_database.startswith("\ufeff".encode() + title.encode() + b"\n" + HEADER)
    assert by_database.endswith(b"\n\n")
    rows = _csv_rows(by_database, title)[1:]
    assert len(rows) == 2 * (len(NAMES) + 1)
    assert all(r[4:] == ["", "", ""] for r in rows)
    assert b',"",' not in by_database and b',""\n' not in by_database  # NULL written as an empty field, unquoted


@pytest.mark.postgres
def test_csv_written_by_the_database_of_a_consultation_without_ballots(city_a, monkeypatch):
    consultation = ConsultationFactory(city=city_a)
    by_database = _export(city_a, consultation, "csv")
    assert by_database == "\ufeffBallots\n".encode() + HEADER + b"\n"
    _through_pandas(monkeypatch)
    assert _export(city_a, consultation, "csv") == by_database


@pytest.fixture
def small_groups(city_a):
    """One session: 6 women of 18-24 from Fes-Medina, 5 men of 18-24 (3 from Saiss, 2 from no district), one woman
    of 30-35 from Saiss (alone in her profile), one participant with no answers; another session with 3 women of
    18-24 from Fes-Medina. Everyone votes on their session's two items."""
    c = ConsultationFactory(city=city_a)
    first, second = SessionFactory(consultation=c), SessionFactory(consultation=c)
    medina, saiss = city_a.districts.get(name="Fes-Medina"), city_a.districts.get(name="Saiss")
    people = [(first, "18_24", "female", medina)] * 6 + [(first, "18_24", "male", saiss)] * 3
    people += [(first, "18_24", "male", None)] * 2 + [(first, "30_35", "female", saiss), (first, "", "", None)]
    people += [(second, "18_24", "female", medina)] * 3
    items = {s: [ItemFactory(session=s, status=ItemStatus.APPROVED) for _n in range(2)] for s in (first, second)}
    made = []
    for session, age_band, gender, district in people:
        person = ParticipantFactory(session=session, age_band=age_band, gender=gender, district=district)
        made += [Ballot(session=session, participant=person, item=item) for item in items[session]]
    Ballot.objects.bulk_create(made)
    return c


def test_the_ballot_table_shows_no_voter_profile(city_a, small_groups):
    """A lone profile combination was one person's ballots; a generalised one, with the items' exact totals, gave
    each group's supporters of each item (counts of 1 to 4 included), and subtracted from a published live cell, a
    lone voter's ballot. So no row carries any answer of its voter."""
    rows = _csv_rows(_export(city_a, small_groups, "csv"))[1:]
    assert len(rows) == 2 * 16
    assert {tuple(r[4:]) for r in rows} == {("", "", "")}


@pytest.mark.postgres
def test_empty_profiles_are_the_same_by_copy_and_by_pandas(city_a, small_groups, monkeypatch):
    by_database = _export(city_a, small_groups, "csv")
    _through_pandas(monkeypatch)
    by_copy_frame = _export(city_a, small_groups, "csv")
    monkeypatch.setattr(exporters, "ballots_frame", functools.partial(exporters.ballots_frame, use_copy=False))
    assert by_database == by_copy_frame == _export(city_a, small_groups, "csv")
    assert b"18_24" not in by_database and b"Fes-Medina" not in by_database and b"female" not in by_database


def test_ballots_of_a_session_still_voting_are_left_out(city_a, small_groups):
    """Two exports taken while a room votes would differ by the ballots cast in between, profiles included."""
    from consultations.models import Phase, Session

    rows = _csv_rows(_export(city_a, small_groups, "csv"))[1:]
    first, second = Session.objects.filter(consultation=small_groups).order_by("pk")
    Session.objects.filter(pk=first.pk).update(phase=Phase.CHALLENGE_VOTING)
    during = _csv_rows(_export(city_a, small_groups, "csv"))[1:]
    assert len(rows) == 2 * 16 and len(during) == 2 * 3
    assert {r[0] for r in during} == {str(second.pk)}


@pytest.mark.postgres
def test_empty_profiles_read_the_same_in_json_by_copy_and_by_iterator(city_a, small_groups, monkeypatch):
    """A profile answer the export leaves out is NULL: JSON gave null on SQLite and "" on PostgreSQL, where COPY's
    CSV was read back without telling NULL from an empty text."""
    by_copy = _export(city_a, small_groups, "json")
    monkeypatch.setattr(exporters, "ballots_frame", functools.partial(exporters.ballots_frame, use_copy=False))
    by_iterator = _export(city_a, small_groups, "json")
    assert json.loads(by_copy) == json.loads(by_iterator)
    rows = json.loads(by_copy)["Ballots"]
    assert {r["gender"] for r in rows} == {None}  # left out (NULL), told apart from an empty answer ("")
