"""How well the screen does on a labelled set of texts: recall and false positives, overall, per language and
per flag. The labelled sets live in tests/screening/ (corpus.tsv to tune on, heldout.tsv to report honestly)."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .screen import FLAGS, screen_text

CLEAN = "clean"


@dataclass
class Sample:
    labels: frozenset[str]
    language: str
    text: str


@dataclass
class Tally:
    flagged_total: int = 0  # texts that should be held
    flagged_held: int = 0  # ... and were
    clean_total: int = 0  # texts that should go through
    clean_held: int = 0  # ... and were held

    @property
    def recall(self) -> float | None:
        return self.flagged_held / self.flagged_total if self.flagged_total else None

    @property
    def false_positive_rate(self) -> float | None:
        return self.clean_held / self.clean_total if self.clean_total else None


@dataclass
class Report:
    overall: Tally = field(default_factory=Tally)
    languages: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    flags: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[tuple[Sample, list[str]]] = field(default_factory=list)  # held back wrongly or let through
    wrong_flag: list[tuple[Sample, list[str]]] = field(default_factory=list)  # held, but for another reason


def read_samples(path: Path) -> list[Sample]:
    """Rows of "labels<TAB>language<TAB>text"; "#" lines and the header are skipped."""
    samples = []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader((line for line in handle if not line.startswith("#")), delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in rows:
            if not row or row[0] == "labels":
                continue
            labels, language, text = row[0], row[1], "\t".join(row[2:])
            names = frozenset(label.strip() for label in labels.split(",") if label.strip() and label != CLEAN)
            unknown = names - set(FLAGS)
            if unknown:
                raise ValueError(f"{path.name}: unknown label {sorted(unknown)} in {text!r}")
            samples.append(Sample(names, language, text))
    return samples


def evaluate(samples: list[Sample], extra_words: set[str] | None = None) -> Report:
    """A text counts as caught when it is held (any flag); per flag, when that flag is among the screen's."""
    report = Report()
    for sample in samples:
        flags = screen_text(sample.text, extra_words)
        held = bool(flags)
        for tally in (report.overall, report.languages[sample.language]):
            if sample.labels:
                tally.flagged_total += 1
                tally.flagged_held += held
            else:
                tally.clean_total += 1
                tally.clean_held += held
        for flag in FLAGS:
            tally = report.flags[flag]
            if flag in sample.labels:
                tally.flagged_total += 1
                tally.flagged_held += flag in flags
            else:
                tally.clean_total += 1
                tally.clean_held += flag in flags
        if held != bool(sample.labels):
            report.misses.append((sample, flags))
        elif set(flags) != set(sample.labels):
            report.wrong_flag.append((sample, flags))
    return report
