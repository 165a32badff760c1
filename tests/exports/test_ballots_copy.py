"""The anonymous ballot table read two ways: PostgreSQL's COPY (the default there) and the ORM's iterator (the
other backends). Same rows, same order, same CSV, JSON and Excel, formulas neutralised, no participant id."""

import csv
import functools
import io
import json

import openpyxl
import pytest

from cities.exports import run_export
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
]


@pytest.fixture
def ballots(city_a):
    """Ballots of one consultation (a district of each name, one participant who gave none, blank answers), and
    one ballot of another consultation that must not appear. Returns (consultation, expected rows)."""
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
            name = district.name if district else None
            expected.append([session.pk, item.pk, item.kind, points, person.age_band, person.gender, name])
    Ballot.objects.bulk_create(made)
    other = SessionFactory(consultation=ConsultationFactory(city=city_a))
    Ballot.objects.create(
        session=other, participant=ParticipantFactory(session=other), item=ItemFactory(session=other), points=1
    )
    return c, expected


def _export(city, consultation, fmt):
    return run_export(
        identifier="consultation_ballots", city=city, fmt=fmt, options={"consultation": consultation.pk}, channel="cli"
    )[0]


def _csv_rows(content: bytes) -> list[list[str]]:
    title, *lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert title == ["Ballots"]
    return [line for line in lines if line]


def _xlsx_rows(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _risky(value: str | None) -> str:
    return "'" + value if value and value[0] in "=+-@\t\r" else value or ""


def test_ballot_table_has_the_rows_of_the_consultation(city_a, ballots):
    """On every backend, whichever way it reads: compared with rows built from the objects themselves."""
    consultation, expected = ballots
    data = json.loads(_export(city_a, consultation, "json"))["Ballots"]
    assert sorted((list(d) for d in data), key=repr) == [COLUMNS] * len(expected)
    assert sorted((list(d.values()) for d in data), key=repr) == sorted(expected, key=repr)
    header, *rows = _csv_rows(_export(city_a, consultation, "csv"))
    assert header == COLUMNS
    assert sorted(rows) == sorted([str(v) for v in row[:4]] + [_risky(v) for v in row[4:]] for row in expected)
    # Sorted by content (session, item, kind, points, …), not by when or by whom the ballots were cast.
    keys = [(int(r[0]), int(r[1]), r[2], int(r[3])) for r in rows]
    assert keys == sorted(keys)
    districts = {r[6] for r in rows}
    assert {'\'=HYPERLINK("http://evil.example","x")', "فاس المدينة", "'-1+1"} <= districts
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.postgres
@pytest.mark.parametrize("with_ballots", [True, False])
def test_copy_and_iterator_give_the_same_export(city_a, ballots, monkeypatch, with_ballots):
    consultation, _expected = ballots
    if not with_ballots:
        Ballot.objects.filter(session__consultation=consultation).delete()
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
    assert len(rows) == (20 if with_ballots else 0)
    if with_ballots:
        districts = {r[6] for r in rows}
        assert {'\'=HYPERLINK("http://evil.example","x")', "فاس المدينة", "'-1+1", "two\nlines"} <= districts
        cells = [r["district"] for r in json.loads(by_copy["json"])["Ballots"]]
        assert cells.count(None) == 2 and cells.count("") == 2 and cells.count("NA") == 2  # NULL is not ""
