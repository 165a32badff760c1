"""The shared framework: suppression (property-tested against an attacker who knows the totals), formula escaping,
Excel sheets (one per table, right-to-left in Arabic), the registry and the report's inline SVG charts."""

import io
import json

import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from cities.exports import (
    HIDDEN,
    REGISTRY,
    SMALL,
    ExportError,
    bar_chart_svg,
    csv_text,
    escape_cell,
    exporters_for,
    render,
    suppress_counts,
)
from cities.models import District

THRESHOLD = 5


def feasible_values(shown: dict, total: int) -> dict:
    """What someone who knows the published table and its total can say about each hidden cell: every value it
    can take in some table consistent with what is shown. "<5" means 0 to 4; "*" means any count. Computed by
    dynamic programming over the hidden cells (the sums the other hidden cells can reach)."""
    hidden = [k for k, v in shown.items() if isinstance(v, str)]
    rest = total - sum(v for v in shown.values() if not isinstance(v, str))
    bounds = {k: (0, THRESHOLD - 1) if shown[k] == SMALL else (0, rest) for k in hidden}
    result = {}
    for k in hidden:
        reachable = {0}
        for other in hidden:
            if other == k:
                continue
            lo, hi = bounds[other]
            reachable = {s + x for s in reachable for x in range(lo, hi + 1) if s + x <= rest}
        lo, hi = bounds[k]
        result[k] = {x for x in range(lo, hi + 1) if rest - x in reachable}
    return result


cells_strategy = st.dictionaries(
    st.text(alphabet="abcdefgh", min_size=1, max_size=2),
    st.one_of(st.integers(min_value=0, max_value=6), st.integers(min_value=0, max_value=40)),
    min_size=2,
    max_size=6,
)


@given(cells_strategy)
def test_no_small_count_is_shown_or_recoverable_from_the_total(cells):
    shown = suppress_counts(cells)
    total = sum(cells.values())
    for key, value in shown.items():
        if not isinstance(value, str):
            assert value == cells[key] and value >= THRESHOLD  # shown counts are true and never small
        elif value == SMALL:
            assert cells[key] < THRESHOLD  # "<5" never lies
    for key, values in feasible_values(shown, total).items():
        assert cells[key] in values  # the attacker model is consistent with the truth
        if 1 <= cells[key] < THRESHOLD:
            assert len(values) > 1, (cells, shown, key, values)


@given(cells_strategy)
def test_the_published_table_is_consistent_with_its_total(cells):
    shown = suppress_counts(cells)
    visible = sum(v for v in shown.values() if not isinstance(v, str))
    assert visible <= sum(cells.values())
    assert set(shown) == set(cells)


def test_a_single_small_cell_gets_a_complementary_one():
    assert suppress_counts({"a": 40, "b": 12, "c": 3}) == {"a": 40, "b": HIDDEN, "c": SMALL}


def test_hidden_cells_that_must_all_be_four_get_a_complementary_one():
    assert suppress_counts({"a": 4, "b": 4, "c": 9, "d": 30}) == {"a": SMALL, "b": SMALL, "c": HIDDEN, "d": 30}


def test_several_small_cells_protect_each_other():
    assert suppress_counts({"a": 26, "b": 4, "c": 0, "d": 0}) == {"a": 26, "b": SMALL, "c": SMALL, "d": SMALL}


def test_a_small_total_withholds_the_whole_breakdown():
    assert suppress_counts({"a": 11, "b": 3, "c": 0}) == dict.fromkeys("abc", HIDDEN)


def test_formula_cells_are_neutralised():
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert escape_cell(bad) == "'" + bad
    assert escape_cell("safe") == "safe"
    assert escape_cell(3) == 3


def test_csv_text_is_escape_cell_done_by_the_database(city_a):
    """The same rule from the same prefixes, on every backend; an empty text comes out as NULL (an empty CSV field
    whether PostgreSQL or pandas writes it)."""
    names = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "safe", "a=b", "'=quoted", "%_", "", " =space first"]
    for name in names:
        District.objects.create(city=city_a, name=name)
    computed = dict(District.objects.filter(city=city_a, name__in=names).values_list("name", csv_text("name")))
    assert computed == {name: escape_cell(name) or None for name in names}


def test_csv_and_xlsx_escape_formulas_and_xlsx_is_rtl_in_arabic(city_a, summary_data):
    exp = REGISTRY["consultation_summary"]()
    options = {"consultation": summary_data.consultation.pk}
    csv_text = render(exp, city_a, options, "csv")[0].decode("utf-8-sig")
    assert "'=cmd|'/c calc'!A1" in csv_text
    assert "\n=cmd" not in csv_text and ",=cmd" not in csv_text
    workbook = openpyxl.load_workbook(io.BytesIO(render(exp, city_a, options, "xlsx", language="ar")[0]))
    assert len(workbook.sheetnames) == 10  # one sheet per table
    assert all(workbook[name].sheet_view.rightToLeft for name in workbook.sheetnames)
    texts = [row[1] for row in workbook[workbook.sheetnames[5]].iter_rows(min_row=2, values_only=True)]
    assert "'=cmd|'/c calc'!A1" in texts  # "Top challenges" (in Arabic)
    english = openpyxl.load_workbook(io.BytesIO(render(exp, city_a, options, "xlsx")[0]))
    assert not english["Key figures"].sheet_view.rightToLeft


def test_unknown_format_or_option_is_a_clear_error(city_a, summary_data):
    exp = REGISTRY["consultation_summary"]()
    for fmt, options in (
        ("docx", {"consultation": summary_data.consultation.pk}),
        ("json", {}),
        ("json", {"consultation": 0}),
    ):
        try:
            render(exp, city_a, options, fmt)
        except ExportError as exc:
            assert str(exc)
        else:
            raise AssertionError(f"{fmt} {options} rendered")


def test_every_app_registers_its_exporters():
    assert {
        "consultation_summary",
        "consultation_ballots",
        "council_roster",
        "council_attendance",
        "council_elections",
        "funding_call_results",
        "project_portfolio",
        "network_key_figures",
    } <= set(REGISTRY)


def test_charlie_may_run_no_exporter_of_city_a(city_a, charlie, analyst):
    assert exporters_for(charlie, city_a) == []
    assert {e.identifier for e in exporters_for(analyst, city_a)} >= {"consultation_summary", "consultation_ballots"}


def test_bar_chart_is_svg_without_script_or_style_and_mirrors_in_arabic():
    svg = str(bar_chart_svg([("<b>women</b>", 26), ("men", SMALL)], title="By gender"))
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg
    assert "&lt;b&gt;women&lt;/b&gt;" in svg  # labels are escaped
    assert 'class="chart-bar chart-bar-hidden"' in svg  # a suppressed count gets no bar
    rtl = str(bar_chart_svg([("نساء", 26)], rtl=True))
    assert 'direction="rtl"' in rtl


def test_json_of_the_summary_round_trips(city_a, summary_data):
    data = json.loads(
        render(REGISTRY["consultation_summary"](), city_a, {"consultation": summary_data.consultation.pk}, "json")[0]
    )
    assert list(data)[:3] == ["Key figures", "Method and dates", "By gender"]
