"""``python -m bench.report [FILES]``: the results and goals tables of docs/benchmarks.md, from ``make bench``'s lines.

Reads the JSON lines that ``bench.run`` and ``bench.export_bench`` print, one per scenario run (any other line is
skipped), from FILES (default: bench/results/current.jsonl, the results the published table was made from). Runs of
the same scenario, backend, room size, workers and ballots per participant form one row: figures are the medians
over its runs, except the integrity counts (lost, doubled, missed final state, not connected), which are summed, since
one lost ballot in any run is a failure. Prints markdown: the live scenarios, the exports, and each goal with its
status.

``--doc docs/benchmarks.md`` writes the tables into the page instead, between its marker comments (``<!--
bench-table -->`` … ``<!-- /bench-table -->``, likewise ``bench-goals``); ``--keep FILE`` first writes the lines read
to FILE, so that the page's figures and their source are committed together (``make bench-table``).
"""

import argparse
import json
import re
import statistics
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CURRENT = ROOT / "bench" / "results" / "current.jsonl"
LIVE_ORDER = ["burst", "joinstorm", "slowreaders", "sustained"]
BACKENDS = {"sqlite": "SQLite", "postgres": "PostgreSQL + Redis"}


# --- reading -------------------------------------------------------------------------------------------------------
def read_lines(paths: Iterable[Path]) -> list[dict]:
    """The benchmark lines of the files, in order: JSON objects naming a scenario."""
    lines = []
    for path in paths:
        for raw in Path(path).read_text().splitlines():
            raw = raw.strip()
            if not raw.startswith("{"):
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if isinstance(line, dict) and line.get("scenario"):
                lines.append(line)
    return lines


@dataclass
class Row:
    """The runs of one scenario with one set-up."""

    scenario: str
    backend: str
    participants: int
    workers: int = 0  # live scenarios
    ballots_per_client: int = 1  # sustained: ballots each participant sends
    ballots: int = 0  # exports: ballots in the generated consultation
    runs: list[dict] = field(default_factory=list)

    def app(self, key: str) -> list:
        return [run["app"].get(key) for run in self.runs]

    def median(self, key: str, part: str | None = "app") -> float | None:
        """The median over the runs of a figure of the application's part of the line (the reference's, the ratios';
        part=None: the line itself, as export lines are flat)."""
        return median([((run.get(part) or {}) if part else run).get(key) for run in self.runs])

    def total(self, key: str) -> int:
        return sum(run["app"].get(key) or 0 for run in self.runs)

    @property
    def not_connected(self) -> int:
        return sum(max(0, self.participants - (run["app"].get("connected") or 0)) for run in self.runs)

    @property
    def intact(self) -> bool:
        """No ballot lost or doubled, every screen at the final state, every participant connected, in every run."""
        return not (self.total("lost") or self.total("doubled") or self.total("missed_final") or self.not_connected)


def median(values: Iterable) -> float | None:
    found = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return statistics.median(found) if found else None


def group(lines: list[dict]) -> tuple[list[Row], list[Row]]:
    """(live rows, export rows), in the page's order: scenario, then backend, then room size."""
    rows: dict[tuple, Row] = {}
    for line in lines:
        if line["scenario"] == "export":
            key = ("export", line.get("backend", "?"), line.get("participants", 0), line.get("ballots", 0))
            row = rows.setdefault(key, Row("export", key[1], key[2], ballots=key[3]))
        elif isinstance(line.get("app"), dict):
            per_client = line["app"].get("ballots_per_client") or 1
            key = (
                line["scenario"],
                line.get("backend", "?"),
                line.get("participants", 0),
                line.get("workers", 0),
                per_client,
            )
            row = rows.setdefault(key, Row(*key))
        else:
            continue
        row.runs.append(line)

    def order(row: Row) -> tuple:
        scenario = LIVE_ORDER.index(row.scenario) if row.scenario in LIVE_ORDER else len(LIVE_ORDER)
        backend = list(BACKENDS).index(row.backend) if row.backend in BACKENDS else len(BACKENDS)
        return scenario, row.scenario, backend, row.participants, row.workers, row.ballots_per_client, row.ballots

    ordered = sorted(rows.values(), key=order)
    return [r for r in ordered if r.scenario != "export"], [r for r in ordered if r.scenario == "export"]


# --- formatting ----------------------------------------------------------------------------------------------------
def number(value: float | None, unit: str = "") -> str:
    """1,234 for large values, 12.3 below 100, 1.23 below 10; — when nothing was measured."""
    if value is None:
        return "—"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text + unit


def setup(row: Row) -> str:
    backend = BACKENDS.get(row.backend, row.backend)
    if row.backend == "sqlite" and row.workers == 1:
        return f"{backend}, 1 process"
    return f"{backend}, {row.workers} worker{'s' if row.workers != 1 else ''}"


def label(row: Row) -> str:
    n = f"{row.participants:,}"
    if row.scenario == "burst":
        return f"burst {n}"
    if row.scenario == "joinstorm":
        return f"join storm {n}"
    if row.scenario == "slowreaders":
        return f"slow readers {n} ({len(range(0, row.participants, 10)):,} never read)"
    if row.scenario == "sustained":
        return f"sustained {n}, {row.ballots_per_client:,} ballots each"
    return f"{row.scenario} {n}"


def reference(row: Row) -> str:
    p95 = row.median("v2s_version_p95_ms", "reference")
    if p95 is None:
        return "—"
    ratio = row.median("v2s_version_p95_ms", "ratio")
    return number(p95, " ms") + (f" ({number(ratio)}×)" if ratio is not None else "")


def live_table(rows: list[Row]) -> list[str]:
    out = [
        "| scenario | set-up | runs | vote→screen p95 | reference p95 (ratio) | ack p50 / p95 | join wall | ballots/s "
        "| lost / doubled / missed / not connected | server RSS | per socket |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        integrity = " / ".join(
            str(v) for v in (row.total("lost"), row.total("doubled"), row.total("missed_final"), row.not_connected)
        )
        cells = [
            label(row),
            setup(row),
            str(len(row.runs)),
            number(row.median("v2s_version_p95_ms"), " ms"),
            reference(row),
            f"{number(row.median('ack_p50_ms'))} / {number(row.median('ack_p95_ms'), ' ms')}",
            number(row.median("join_wall_s"), " s"),
            number(row.median("ballots_per_s")),
            integrity,
            number(row.median("server_rss_mb"), " MB"),
            number(row.median("kb_per_conn"), " KB"),
        ]
        out.append("| " + " | ".join(cells) + " |")
    return out


def export_table(rows: list[Row]) -> list[str]:
    out = [
        "| consultation | runs | summary, CSV | summary, JSON | anonymous ballots, CSV |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        what = f"{BACKENDS.get(row.backend, row.backend).split(' +')[0]}, {row.ballots:,} ballots, "
        what += f"{row.participants:,} participants"
        cells = [what, str(len(row.runs))] + [
            number(row.median(key, None), " s") for key in ("summary_csv_s", "summary_json_s", "ballots_csv_s")
        ]
        out.append("| " + " | ".join(cells) + " |")
    return out


# --- goals ---------------------------------------------------------------------------------------------------------
@dataclass
class Goal:
    text: str
    find: Callable[[Row], bool]  # the row the goal is read from
    judge: Callable[[Row, list[Row]], tuple[bool, str]]  # (met, the figures that say so)


def _find(scenario: str, backend: str, participants: int, sustained: bool = False) -> Callable[[Row], bool]:
    def match(row: Row) -> bool:
        return (
            row.scenario == scenario
            and row.backend == backend
            and row.participants == participants
            and (row.ballots_per_client > 1) == sustained
        )

    return match


def _integrity(row: Row) -> str:
    return "nothing lost" if row.intact else f"{row.total('lost')} lost, {row.total('missed_final')} screens missed"


def _burst(limit_ms: float):
    def judge(row: Row, _rows) -> tuple[bool, str]:
        p95 = row.median("v2s_version_p95_ms")
        ratio = row.median("v2s_version_p95_ms", "ratio")
        figure = number(p95, " ms") + (f" ({number(ratio)}× the reference)" if ratio is not None else "")
        return p95 is not None and p95 <= limit_ms and row.intact, f"{figure}, {_integrity(row)}"

    return judge


# A minute at 1,000 ballots a second. The harness sends at exactly --rate, and the wall clock runs until the last
# acknowledgement: a server that keeps up measures just under the rate (99 % of it is kept up).
SUSTAINED_RATE, SUSTAINED_BALLOTS = 1000, 60_000


def _sustained(row: Row, _rows) -> tuple[bool, str]:
    rate, ack = row.median("ballots_per_s"), row.median("ack_p95_ms")
    stored = min(row.app("ballots_in_db"), default=0) or 0
    met = (
        rate is not None
        and rate >= 0.99 * SUSTAINED_RATE
        and ack is not None
        and ack <= 150
        and row.intact
        and stored >= SUSTAINED_BALLOTS
    )
    return met, f"{number(rate)} ballots/s, ack p95 {number(ack, ' ms')}, {stored:,} stored, {_integrity(row)}"


def _joinstorm(row: Row, _rows) -> tuple[bool, str]:
    wall, per_socket = row.median("join_wall_s"), row.median("kb_per_conn")
    met = wall is not None and wall <= 5 and per_socket is not None and per_socket <= 100 and not row.not_connected
    return met, f"{number(wall, ' s')}, {number(per_socket, ' KB')} per socket, {row.not_connected} not connected"


def _slowreaders(row: Row, rows: list[Row]) -> tuple[bool, str]:
    burst = next((r for r in rows if _find("burst", row.backend, row.participants)(r)), None)
    rss = row.median("server_rss_mb")
    burst_rss = burst.median("server_rss_mb") if burst else None
    if rss is None or burst_rss is None:
        return False, f"RSS {number(rss, ' MB')}; no burst of the same room to compare with"
    return rss <= 1.1 * burst_rss and row.intact, f"RSS {number(rss, ' MB')} against {number(burst_rss, ' MB')}"


def _exports(row: Row, _rows) -> tuple[bool, str]:
    times = [row.median(key, None) for key in ("summary_csv_s", "summary_json_s", "ballots_csv_s")]
    met = all(t is not None and t <= 5 for t in times)
    return met, "summary " + " / ".join(number(t, " s") for t in times[:2]) + f"; ballots {number(times[2], ' s')}"


GOALS = [
    Goal(
        "2,000 on PostgreSQL + Redis, 2 workers: vote→screen p95 ≤ 400 ms, final state everywhere, nothing lost",
        _find("burst", "postgres", 2000),
        _burst(400),
    ),
    Goal(
        "embedded default (SQLite), 1,000 participants: vote→screen p95 ≤ 300 ms",
        _find("burst", "sqlite", 1000),
        _burst(300),
    ),
    Goal(
        "≥ 1,000 ballots/s for a minute, ack p95 ≤ 150 ms, nothing lost",
        _find("sustained", "postgres", 2000, sustained=True),
        _sustained,
    ),
    Goal(
        "2,000 join and connect within 5 s; ≤ 100 KB per participant", _find("joinstorm", "postgres", 2000), _joinstorm
    ),
    Goal(
        "clients that never read do not grow memory (RSS within 10 % of a burst of the same room)",
        _find("slowreaders", "postgres", 1000),
        _slowreaders,
    ),
    Goal(
        "summary of 1,000,000 ballots ≤ 5 s (CSV, JSON); anonymous ballots ≤ 5 s on PostgreSQL",
        lambda row: row.scenario == "export" and row.backend == "postgres" and row.ballots >= 1_000_000,
        _exports,
    ),
]


def goals_table(rows: list[Row]) -> list[str]:
    out = ["| goal | status |", "|---|---|"]
    for goal in GOALS:
        row = next((r for r in rows if goal.find(r)), None)
        if row is None:
            status = "not measured in these results"
        else:
            met, figures = goal.judge(row, rows)
            status = f"**{'met' if met else 'not met'}**: {figures}"
        out.append(f"| {goal.text} | {status} |")
    return out


# --- the page ------------------------------------------------------------------------------------------------------
def source(paths: list[Path], lines: list[dict]) -> str:
    names = ", ".join(f"`{_shown(p)}`" for p in paths) or "no file"
    return f"From {names}: {len(lines)} runs."


def _shown(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def tables(lines: list[dict], paths: list[Path]) -> dict[str, str]:
    live, exports = group(lines)
    results = [source(paths, lines), "", *live_table(live)]
    if exports:
        results += ["", *export_table(exports)]
    return {"bench-table": "\n".join(results), "bench-goals": "\n".join(goals_table(live + exports))}


def replace_between_markers(text: str, name: str, body: str) -> str:
    """text with what lies between <!-- name --> and <!-- /name --> replaced by body. Raises ValueError without them."""
    pattern = re.compile(rf"(<!-- {re.escape(name)} -->\n).*?(<!-- /{re.escape(name)} -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"no <!-- {name} --> … <!-- /{name} --> markers")
    return pattern.sub(lambda m: m.group(1) + body.rstrip("\n") + "\n" + m.group(2), text, count=1)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "files", nargs="*", type=Path, help="JSON lines of make bench (default: bench/results/current.jsonl)"
    )
    p.add_argument("--doc", type=Path, help="write the tables into this page, between its markers, instead of printing")
    p.add_argument("--keep", type=Path, help="first write the lines read to this file (the table's committed source)")
    args = p.parse_args(argv)
    paths = args.files or [CURRENT]
    lines = read_lines(paths)
    if not lines:
        print(f"No benchmark lines in {', '.join(map(str, paths))}", file=sys.stderr)
        return 1
    if args.keep is not None:
        if [Path(p).resolve() for p in paths] != [args.keep.resolve()]:
            args.keep.parent.mkdir(parents=True, exist_ok=True)
            args.keep.write_text("".join(json.dumps(line) + "\n" for line in lines))
        paths = [args.keep]
    made = tables(lines, paths)
    if args.doc is None:
        print(made["bench-table"] + "\n\n" + made["bench-goals"])
        return 0
    text = args.doc.read_text()
    for name, body in made.items():
        text = replace_between_markers(text, name, body)
    args.doc.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
