"""The results and goals tables of docs/benchmarks.md, made from make bench's JSON lines (bench/report.py).

tests/fixtures/bench_smoke.jsonl holds real lines of `python -m bench.run --backend sqlite --scenario burst
--participants 100` (two with the reference, one with --no-reference). The other scenarios' lines are built here from
the fields bench/run.py and bench/export_bench.py print, with the figures each test needs.
"""

import copy
import json
from pathlib import Path

import pytest

from bench import report

ROOT = Path(__file__).resolve().parent.parent
SMOKE = Path(__file__).resolve().parent / "fixtures" / "bench_smoke.jsonl"


def smoke_lines() -> list[dict]:
    return [json.loads(line) for line in SMOKE.read_text().splitlines()]


def live_line(scenario: str, backend: str, participants: int, **app) -> dict:
    """A bench.run line of another shape: the smoke run's fields, with this scenario's set-up and figures."""
    line = copy.deepcopy(smoke_lines()[0])
    per_client = app.get("ballots_per_client", 1)
    line.update(
        scenario=scenario, backend=backend, participants=participants, workers=2 if backend == "postgres" else 1
    )
    line["app"].update(
        {
            "connected": participants,
            "acked": participants * per_client,
            "ballots_in_db": participants * per_client,
            **app,
        }
    )
    reference_p95 = line["reference"]["v2s_version_p95_ms"]
    line["ratio"]["v2s_version_p95_ms"] = round(line["app"]["v2s_version_p95_ms"] / reference_p95, 2)
    return line


def export_line(backend: str, participants: int, ballots: int, **times) -> dict:
    """A bench.export_bench line."""
    line = {
        "scenario": "export",
        "backend": backend,
        "participants": participants,
        "ballots": ballots,
        "generate_s": 40.0,
        "repeat": 3,
        "summary_csv_s": 0.6,
        "summary_csv_kb": 9,
        "summary_json_s": 0.6,
        "summary_json_kb": 30,
        "ballots_csv_s": 2.4,
        "ballots_csv_kb": 60000,
    }
    line.update(times)
    return line


def make_bench(**overrides) -> list[dict]:
    """The lines of one `make bench`, every goal met unless overridden (by scenario name)."""
    lines = {
        "burst_sqlite_200": live_line("burst", "sqlite", 200, v2s_version_p95_ms=120.0),
        "burst_sqlite_1000": live_line("burst", "sqlite", 1000, v2s_version_p95_ms=151.0),
        "burst_postgres_1000": live_line("burst", "postgres", 1000, v2s_version_p95_ms=200.0, server_rss_mb=380.0),
        "burst_postgres_2000": live_line("burst", "postgres", 2000, v2s_version_p95_ms=318.0, server_rss_mb=403.0),
        "joinstorm": live_line("joinstorm", "postgres", 2000, join_wall_s=2.6, kb_per_conn=34.5),
        "slowreaders": live_line("slowreaders", "postgres", 1000, v2s_version_p95_ms=252.0, server_rss_mb=368.0),
        "sustained": live_line(
            "sustained",
            "postgres",
            2000,
            ballots_per_client=30,
            ballots_per_s=999.4,
            ack_p95_ms=74.0,
            v2s_version_p95_ms=322.0,
        ),
        "export_postgres": export_line("postgres", 100_000, 1_000_000),
        "export_sqlite": export_line("sqlite", 100_000, 1_000_000, summary_csv_s=2.7, ballots_csv_s=3.6),
    }
    lines.update(overrides)
    return list(lines.values())


def write_lines(path: Path, lines: list[dict], extra: str = "") -> Path:
    path.write_text(extra + "".join(json.dumps(line) + "\n" for line in lines))
    return path


def cells(table: list[str], first_cell: str) -> list[str]:
    """The cells of the table's row whose first cell is first_cell."""
    for line in table:
        parts = [part.strip() for part in line.strip().strip("|").split("|")]
        if parts[0] == first_cell:
            return parts
    raise AssertionError(f"no row {first_cell!r} in:\n" + "\n".join(table))


def goal_status(lines: list[dict], goal_start: str) -> str:
    live, exports = report.group(lines)
    table = report.goals_table(live + exports)
    return next(line for line in table if line.startswith(f"| {goal_start}")).rsplit("|", 2)[1].strip()


# --- real lines ----------------------------------------------------------------------------------------------------
def test_the_runs_of_a_smoke_burst_make_one_row_of_medians():
    lines = smoke_lines()
    live, exports = report.group(lines)
    assert exports == [] and len(live) == 1
    row = cells(report.live_table(live), "burst 100")
    # scenario, set-up, runs, vote→screen p95, reference (ratio), ack, join wall, ballots/s, integrity, RSS, socket
    assert row[1:4] == ["SQLite, 1 process", "3", "108 ms"]  # median of 106.5, 111.0, 108.0
    assert row[4] == "99.5 ms (1.09×)"  # the two runs with a reference: medians of 101.9, 97.1 and 1.05, 1.14
    assert row[5] == "2.1 / 5.1 ms"
    assert row[8] == "0 / 0 / 0 / 0"
    assert row[9] == "158 MB" and row[10] == "34.1 KB"


def test_lines_that_are_not_benchmark_results_are_skipped(tmp_path):
    path = write_lines(tmp_path / "run.jsonl", smoke_lines(), extra='reference listening on 18150\n{"broken": \n[1]\n')
    assert len(report.read_lines([path])) == 3


def test_a_run_without_reference_shows_a_dash():
    live, _ = report.group(smoke_lines()[2:])
    assert cells(report.live_table(live), "burst 100")[4] == "—"


# --- integrity and goals ---------------------------------------------------------------------------------------------
def test_a_ballot_lost_in_one_run_is_counted_and_fails_the_goal():
    good = live_line("burst", "postgres", 2000, v2s_version_p95_ms=300.0)
    bad = live_line("burst", "postgres", 2000, v2s_version_p95_ms=310.0, lost=1, missed_final=2, connected=1998)
    lines = [*make_bench(burst_postgres_2000=good), bad, copy.deepcopy(good)]
    live, _ = report.group(lines)
    row = cells(report.live_table(live), "burst 2,000")
    assert row[2] == "3" and row[3] == "300 ms"
    assert row[8] == "1 / 0 / 2 / 2"  # summed over the runs, not a median
    assert goal_status(lines, "2,000 on PostgreSQL").startswith("**not met**: 300 ms")


def test_every_goal_is_met_on_the_figures_of_a_good_run():
    lines = make_bench()
    live, exports = report.group(lines)
    table = report.goals_table(live + exports)
    statuses = [line.rsplit("|", 2)[1].strip() for line in table[2:]]
    assert len(statuses) == len(report.GOALS)
    assert all(status.startswith("**met**") for status in statuses), table
    assert goal_status(lines, "2,000 on PostgreSQL").startswith("**met**: 318 ms (")
    assert "999 ballots/s, ack p95 74 ms, 60,000 stored" in goal_status(lines, "≥ 1,000 ballots/s")
    assert goal_status(lines, "2,000 join").startswith("**met**: 2.6 s, 34.5 KB per socket")
    assert goal_status(lines, "clients that never read") == "**met**: RSS 368 MB against 380 MB"
    assert goal_status(lines, "summary of 1,000,000") == "**met**: summary 0.6 s / 0.6 s; ballots 2.4 s"


@pytest.mark.parametrize(
    ("override", "goal"),
    [
        (
            {"burst_postgres_2000": live_line("burst", "postgres", 2000, v2s_version_p95_ms=401.0)},
            "2,000 on PostgreSQL",
        ),
        ({"burst_sqlite_1000": live_line("burst", "sqlite", 1000, v2s_version_p95_ms=320.0)}, "embedded default"),
        (
            {
                "sustained": live_line(
                    "sustained", "postgres", 2000, ballots_per_client=30, ballots_per_s=900.0, ack_p95_ms=74.0
                )
            },
            "≥ 1,000 ballots/s",
        ),
        (
            {
                "sustained": live_line(
                    "sustained", "postgres", 2000, ballots_per_client=30, ballots_per_s=1000.0, ack_p95_ms=151.0
                )
            },
            "≥ 1,000 ballots/s",
        ),
        (
            {
                "sustained": live_line(
                    "sustained", "postgres", 2000, ballots_per_client=3, ballots_per_s=1000.0, ack_p95_ms=70.0
                )
            },
            "≥ 1,000 ballots/s",
        ),  # not a minute of ballots
        ({"joinstorm": live_line("joinstorm", "postgres", 2000, join_wall_s=5.4)}, "2,000 join"),
        ({"joinstorm": live_line("joinstorm", "postgres", 2000, join_wall_s=2.0, kb_per_conn=120.0)}, "2,000 join"),
        ({"slowreaders": live_line("slowreaders", "postgres", 1000, server_rss_mb=500.0)}, "clients that never read"),
        ({"export_postgres": export_line("postgres", 100_000, 1_000_000, ballots_csv_s=5.2)}, "summary of 1,000,000"),
    ],
)
def test_a_figure_beyond_its_goal_is_not_met(override, goal):
    assert goal_status(make_bench(**override), goal).startswith("**not met**")


def test_a_goal_without_its_scenario_says_so():
    lines = [line for line in make_bench() if line["scenario"] != "joinstorm"]
    assert goal_status(lines, "2,000 join") == "not measured in these results"


# --- the tables ------------------------------------------------------------------------------------------------------
def test_rows_come_in_the_order_of_make_bench_and_exports_have_their_own_table():
    live, exports = report.group(list(reversed(make_bench())))
    assert [report.label(row) + " / " + report.setup(row) for row in live] == [
        "burst 200 / SQLite, 1 process",
        "burst 1,000 / SQLite, 1 process",
        "burst 1,000 / PostgreSQL + Redis, 2 workers",
        "burst 2,000 / PostgreSQL + Redis, 2 workers",
        "join storm 2,000 / PostgreSQL + Redis, 2 workers",
        "slow readers 1,000 (100 never read) / PostgreSQL + Redis, 2 workers",
        "sustained 2,000, 30 ballots each / PostgreSQL + Redis, 2 workers",
    ]
    table = report.export_table(exports)
    assert cells(table, "SQLite, 1,000,000 ballots, 100,000 participants")[1:] == ["1", "2.7 s", "0.6 s", "3.6 s"]
    assert cells(table, "PostgreSQL, 1,000,000 ballots, 100,000 participants")[1:] == ["1", "0.6 s", "0.6 s", "2.4 s"]


def test_numbers_are_rounded_for_reading():
    assert [report.number(v) for v in (1234.5, 318.0, 99.54, 34.5, 2.6, 1.095, 0.0, None)] == [
        "1,234",
        "318",
        "99.5",
        "34.5",
        "2.6",
        "1.09",
        "0",
        "—",
    ]


# --- the page --------------------------------------------------------------------------------------------------------
PAGE = """# Benchmarks

Before.

<!-- bench-table -->
old table
<!-- /bench-table -->

Between.

<!-- bench-goals -->
old goals
<!-- /bench-goals -->

After.
"""


def test_the_page_is_rewritten_between_its_markers_and_keeps_its_source(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(PAGE)
    run = write_lines(tmp_path / "20261207-230000.jsonl", make_bench())
    kept = tmp_path / "current.jsonl"
    assert report.main(["--doc", str(doc), "--keep", str(kept), str(run)]) == 0
    text = doc.read_text()
    assert "old table" not in text and "old goals" not in text
    assert text.startswith("# Benchmarks\n\nBefore.\n\n<!-- bench-table -->\nFrom `")
    assert "\n\nBetween.\n\n<!-- bench-goals -->\n| goal | status |" in text and text.endswith(
        "<!-- /bench-goals -->\n\nAfter.\n"
    )
    assert f"From `{kept}`: 9 runs." in text
    assert report.read_lines([kept]) == make_bench()
    # Made again from the kept file alone: the same page.
    assert report.main(["--doc", str(doc), "--keep", str(kept), str(kept)]) == 0
    assert doc.read_text() == text


def test_a_page_without_markers_is_refused(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n")
    run = write_lines(tmp_path / "run.jsonl", smoke_lines())
    with pytest.raises(ValueError, match="bench-table"):
        report.main(["--doc", str(doc), str(run)])
    assert doc.read_text() == "# Benchmarks\n"


def test_no_lines_is_an_error_and_prints_nothing(tmp_path, capsys):
    assert report.main([str(write_lines(tmp_path / "empty.jsonl", []))]) == 1
    assert capsys.readouterr().out == ""


def test_printed_tables_and_the_published_page_have_the_same_markers():
    text = (ROOT / "docs" / "benchmarks.md").read_text()
    for name in ("bench-table", "bench-goals"):
        assert text.count(f"<!-- {name} -->") == 1 and text.count(f"<!-- /{name} -->") == 1
