import io
import json

import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from cities.exports import REGISTRY, escape_cell, exporters_for, render, suppress_counts
from consultations.models import Ballot
from tests.factories import ConsultationFactory, ItemFactory, ParticipantFactory, SessionFactory


@given(st.dictionaries(st.text(min_size=1, max_size=3), st.integers(min_value=0, max_value=50), min_size=2, max_size=8))
def test_no_suppressed_cell_can_be_recovered_from_total(cells):
    shown = suppress_counts(cells)
    hidden = [k for k, v in shown.items() if isinstance(v, str)]
    assert all(cells[k] >= 5 or cells[k] == 0 for k, v in shown.items() if not isinstance(v, str))
    assert len(hidden) != 1  # total minus visible cells never equals one hidden cell
    visible = sum(v for v in shown.values() if not isinstance(v, str))
    if hidden:
        assert sum(cells.values()) - visible == sum(cells[k] for k in hidden)


def test_formula_cells_are_neutralised():
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert escape_cell(bad) == "'" + bad
    assert escape_cell("safe") == "safe"
    assert escape_cell(3) == 3


def _data(city):
    c = ConsultationFactory(city=city)
    s = SessionFactory(consultation=c)
    item = ItemFactory(session=s, text="=HYPERLINK(x)")
    for i in range(6):
        p = ParticipantFactory(session=s, gender="female" if i < 5 else "male")
        Ballot.objects.create(session=s, participant=p, item=item, points=2)
    return c


def test_summary_counts_and_suppresses_small_groups(city_a, analyst):
    c = _data(city_a)
    exp = REGISTRY["consultation_summary"]()
    data = json.loads(render(exp, city_a, {"consultation": c.pk}, "json")[0])
    figures = data["Key figures"][0]
    assert (figures["participants"], figures["ballots"], figures["submissions"]) == (6, 6, 1)
    by_gender = {r["group"]: r["participants"] for r in data["By gender"]}
    assert by_gender["male"] == "<5" and by_gender["female"] == "<5"  # complementary suppression
    assert data["Top items"][0]["votes"] == 12


def test_csv_and_xlsx_escape_formulas_and_xlsx_is_rtl_in_arabic(city_a):
    c = _data(city_a)
    exp = REGISTRY["consultation_summary"]()
    csv_bytes, _ = render(exp, city_a, {"consultation": c.pk}, "csv")
    assert "'=HYPERLINK(x)" in csv_bytes.decode("utf-8-sig")
    xlsx, _ = render(exp, city_a, {"consultation": c.pk}, "xlsx", language="ar")
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert len(wb.sheetnames) == 5
    assert wb["Top items"].sheet_view.rightToLeft
    assert wb["Top items"]["C2"].value == "'=HYPERLINK(x)"


def test_ballot_export_has_no_participant_id(city_a):
    c = _data(city_a)
    data = json.loads(render(REGISTRY["consultation_ballots"](), city_a, {"consultation": c.pk}, "json")[0])
    assert len(data["Ballots"]) == 6
    assert "participant" not in data["Ballots"][0]


def test_charlie_may_run_no_exporter_of_city_a(city_a, charlie, analyst):
    assert exporters_for(charlie, city_a) == []
    assert {e.identifier for e in exporters_for(analyst, city_a)} >= {"consultation_summary", "consultation_ballots"}
