"""Statistical disclosure control: the one place that decides which counts of people may be published.

Every reader that shows counts of people by group (live results of a session, the consultation summary, the network
key figures, the anonymous ballot table) asks this module; none keeps its own rule. Pure functions, no database, so
that the attacker tests (tests/hardening/test_disclosure.py) can run them on every possible room.

Methods (docs/privacy.md, "Disclosure control"):

- **Breakdowns of a vote** (supporters of an item by group, one question per session): *global recoding* of groups
  under ``THRESHOLD`` into one pooled group, then *cell suppression with complementary suppression* audited against
  the item's exact total: a sensitive count (``cell_sensitive``) is hidden, as ``SMALL`` ("<5") or ``HIDDEN`` ("*",
  5 or more); whenever the published row still pins one to a single value, more cells are hidden, until every
  sensitive count can take at least two values.
- **Counts of people that are not a vote** (participants per group, per session, per city; totals of them):
  *rounding to base* ``ROUNDING_BASE``, every count and every total rounded on its own, small ones to 0 or 5; so no
  difference of two published figures (two exports, two dates, a table and its total) is exact.
- **Row-level ballot data** shows no profile at all (consultations.exporters): a row-level profile, even one shared by
  ``THRESHOLD`` voters, gives with the items' exact totals every group's count of supporters, small ones included.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

THRESHOLD = 5
SMALL = f"<{THRESHOLD}"  # a count under THRESHOLD, zero included
HIDDEN = "*"  # a count hidden so that a small one cannot be worked out from the published totals
POOLED = "(pooled)"  # the published group that stands for the groups under THRESHOLD of a dimension
ROUNDING_BASE = 5
METHOD_VOTES = "complementary_suppression"


# --- counts of people: rounding ----------------------------------------------------------------------------------


def people_round(value: int) -> int:
    """``value`` rounded to the nearest multiple of ROUNDING_BASE (1-2 -> 0, 3-4 -> 5, 12 -> 10, 13 -> 15)."""
    return ROUNDING_BASE * ((int(value) + ROUNDING_BASE // 2) // ROUNDING_BASE)


def people_round_interval(shown: int) -> tuple[int, int]:
    """Every true count that is published as ``shown``."""
    low = max(0, shown - ROUNDING_BASE // 2)
    return low, shown + ROUNDING_BASE // 2


def _people_bounds(value, total_high: int) -> tuple[int, int]:
    if value == HIDDEN:
        return 0, total_high
    return people_round_interval(value)


def people_counts(cells: Mapping, *, total: int) -> tuple[dict, int]:
    """Counts of people of one table whose cells add up to ``total`` (participants by gender; per session; per
    city), published rounded to base ROUNDING_BASE, the total rounded on its own.

    Rounding alone can leave one value at the edge of the intervals (every other cell at the top of its interval and
    the total at the bottom): so the table is audited as ``row_bounds`` audits a row, and while a cell can be worked
    out to one value from the table and its total, the smallest rounded cell is hidden as HIDDEN (any count). No
    cell, small or large, is left with a single possible value: the difference of two publications (two exports, two
    dates) of a cell then always has several possible values as well. Returns (cells, total) as published."""
    shown: dict = {k: people_round(v) for k, v in cells.items()}
    shown_total = people_round(total)
    total_low, total_high = people_round_interval(shown_total)
    while True:
        box = {k: _people_bounds(v, total_high) for k, v in shown.items()}
        low_sum = sum(lo for lo, _hi in box.values())
        high_sum = sum(hi for _lo, hi in box.values())
        pinned = [
            k
            for k, (lo, hi) in box.items()
            if max(lo, total_low - (high_sum - hi)) == min(hi, total_high - (low_sum - lo))
        ]
        visible = sorted((v, str(k), k) for k, v in shown.items() if v != HIDDEN)
        if not pinned or len(cells) < 2 or not visible:
            return shown, shown_total
        # hide the pinned cell itself if it is shown, else the smallest shown one
        target = next((k for k in pinned if shown[k] != HIDDEN), visible[0][2])
        shown[target] = HIDDEN


# --- breakdowns of a vote: recoding and complementary suppression ----------------------------------------------


@dataclass(frozen=True)
class Dimension:
    """How one profile question (gender, age band, district) is published in one scope (a session's voters).

    ``mapping`` sends every answer to its published group; ``sizes`` are the published groups' sizes (each at least
    THRESHOLD); ``pooled`` lists the answers gathered in POOLED. ``shown`` is False when fewer than two groups
    could be published: the breakdown is then withheld (it would only repeat the item's total)."""

    name: str
    mapping: dict
    sizes: dict
    pooled: tuple
    shown: bool


def dimension_recode(name: str, sizes: Mapping[Hashable, int]) -> Dimension:
    """Global recoding of one dimension: groups of THRESHOLD or more people stay; the others are pooled into
    POOLED; a pool of 1 to THRESHOLD-1 people takes in the smallest group that stays, so that it holds at least
    THRESHOLD. Depends on the group sizes only, never on the votes."""
    sizes = {g: n for g, n in sizes.items() if n > 0}
    keep = {g: n for g, n in sizes.items() if n >= THRESHOLD}
    small = {g for g in sizes if g not in keep}
    pool = sum(sizes[g] for g in small)
    if 0 < pool < THRESHOLD and keep:
        smallest = min(keep, key=lambda g: (keep[g], str(g)))
        small.add(smallest)
        pool += keep.pop(smallest)
    mapping = {g: g for g in keep}
    mapping.update(dict.fromkeys(small, POOLED))
    published = dict(keep)
    if pool:
        published[POOLED] = pool
    shown = len(published) >= 2 and all(n >= THRESHOLD for n in published.values())
    return Dimension(
        name=name,
        mapping=mapping,
        sizes=dict(sorted(published.items(), key=lambda kv: str(kv[0]))),
        pooled=tuple(sorted(small, key=str)),
        shown=shown,
    )


def dimensions_recode(sizes: Mapping[str, Mapping[Hashable, int]]) -> list[Dimension]:
    """The dimensions of one scope (a session's voters), ``sizes[question][answer]``, recoded; **one question
    only** is broken down: the one with the most published groups (the first in ``sizes``' order on a tie).

    Why one: two questions cross. With the gender row and the age row each audited, a hidden count can still follow
    from both at once through the people who are in both (4 girls of 15-17 cannot make up 5 supporters of 15-17 on
    their own, so a boy of 15-17 supported, and the boys' "<5" becomes exactly 1); auditing every crossing exactly is
    an integer programme per item. The choice depends on the group sizes only, never on the votes."""
    dims = [dimension_recode(name, groups) for name, groups in sizes.items()]
    shown = [d for d in dims if d.shown]
    if not shown:
        return dims
    chosen = max(shown, key=lambda d: (len(d.sizes), -dims.index(d)))
    return [d if d is chosen else Dimension(d.name, d.mapping, d.sizes, d.pooled, False) for d in dims]


def _marker_bounds(value, size: int) -> tuple[int, int]:
    if value == SMALL:
        return 0, min(THRESHOLD - 1, size)
    if value == HIDDEN:  # a count of THRESHOLD or more (a small one is SMALL): large, or hidden as a complement
        return min(THRESHOLD, size), size
    return value, value


def row_bounds(shown: Mapping, sizes: Mapping, total: int) -> dict:
    """What someone who knows the published row, the item's exact total and every group's size can say about each
    cell: the interval of values it can take (one linear equation with bounded integers: every value in between is
    reachable). ``shown`` holds numbers, SMALL ("0 to 4") or HIDDEN ("5 to the group's size")."""
    box = {g: _marker_bounds(v, sizes[g]) for g, v in shown.items()}
    low_sum = sum(lo for lo, _hi in box.values())
    high_sum = sum(hi for _lo, hi in box.values())
    result = {}
    for g, (lo, hi) in box.items():
        result[g] = (max(lo, total - (high_sum - hi)), min(hi, total - (low_sum - lo)))
    return result


def cell_sensitive(count: int, size: int) -> bool:
    """A count of supporters tells something of fewer than THRESHOLD people when fewer than THRESHOLD supported, or
    fewer than THRESHOLD did not (everybody in the group but one voted for it: that one did not)."""
    return count < THRESHOLD or size - count < THRESHOLD


def row_protect(cells: Mapping, sizes: Mapping, total: int) -> dict:
    """The published cells of one item in one dimension whose groups all hold THRESHOLD people or more.

    A sensitive count (``cell_sensitive``) is hidden: as SMALL when it is under THRESHOLD (zero included), else as
    HIDDEN. While some sensitive count can still be worked out from the row, the item's exact total and the group
    sizes (``row_bounds`` leaves it one value) and publishing no cell at all would not pin it too (the exact total
    alone may: nobody or everybody voted), the smallest shown count is hidden as HIDDEN; with none left, the row is
    withheld (an empty dict: this item's breakdown by this question is not published)."""
    shown: dict = {
        g: (SMALL if n < THRESHOLD else HIDDEN if cell_sensitive(n, sizes[g]) else n) for g, n in cells.items()
    }
    baseline = {g: (max(0, total - (sum(sizes.values()) - sizes[g])), min(sizes[g], total)) for g in cells}
    while True:
        bounds = row_bounds(shown, sizes, total)
        pinned = [
            g
            for g, n in cells.items()
            if cell_sensitive(n, sizes[g]) and bounds[g][0] == bounds[g][1] and baseline[g][0] != baseline[g][1]
        ]
        if not pinned:
            return shown
        visible = sorted((n, str(g), g) for g, n in shown.items() if not isinstance(n, str))
        if not visible:
            return {}
        shown[visible[0][2]] = HIDDEN


def item_breakdowns(dimensions: Iterable[Dimension], total: int, counts: Mapping[str, Mapping]) -> dict:
    """The published breakdowns of one item: ``counts[dimension][answer]`` supporters per answer, ``total`` the
    item's exact number of supporters. A withheld dimension publishes no cell."""
    result = {}
    for dim in dimensions:
        if not dim.shown:
            result[dim.name] = {}
            continue
        cells = dict.fromkeys(dim.sizes, 0)
        for answer, n in counts.get(dim.name, {}).items():
            cells[dim.mapping[answer]] += n
        result[dim.name] = row_protect(cells, dim.sizes, total)
    return result


def consensus_score(dimensions: Iterable[Dimension], total: int, published: Mapping, *, everyone: int) -> float:
    """An item's consensus score from its published breakdowns only (so it tells nothing they do not): the lowest
    share of supporters guaranteed in each published group that is a real answer (not POOLED, not ``unsaid``), a
    hidden cell counting for its lowest possible value. With no such group: the item's share of ``everyone``."""
    return consensus(dimensions, total, published, everyone=everyone)[0]


def consensus(dimensions: Iterable[Dimension], total: int, published: Mapping, *, everyone: int) -> tuple[float, int]:
    """``consensus_score`` and the number of groups it compared."""
    shares = []
    for dim in dimensions:
        row = published.get(dim.name) or {}
        if not row:
            continue
        bounds = row_bounds(row, dim.sizes, total)
        for group, size in dim.sizes.items():
            if group in (POOLED, "unsaid", ""):
                continue
            shares.append(bounds[group][0] / size)
    return (min(shares) if shares else total / max(1, everyone)), len(shares)
