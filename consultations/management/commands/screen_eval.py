"""Measure the automatic screen on a labelled set (docs/screening.md).

python manage.py screen_eval [--file tests/screening/heldout2.tsv ...] [--quiet]
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from consultations.screening.evaluation import Report, Tally, evaluate, read_samples

DEFAULT_FILES = (
    "tests/screening/corpus.tsv",
    "tests/screening/heldout.tsv",
    "tests/screening/heldout2.tsv",
    "tests/screening/heldout3.tsv",
)


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{value * 100:5.1f}%"


class Command(BaseCommand):
    help = "Print the screen's recall and false-positive rate on labelled texts, overall, per language and flag."

    def add_arguments(self, parser):
        parser.add_argument(
            "--set", action="append", dest="sets", help="A labelled TSV file to read (repeatable). Default: every set."
        )
        parser.add_argument("--quiet", action="store_true", help="Figures only, without the list of misses.")

    def handle(self, *args, sets=None, quiet=False, **options):
        for name in sets or DEFAULT_FILES:
            path = Path(name)
            if not path.is_absolute():
                path = Path(settings.BASE_DIR) / path
            samples = read_samples(path)
            report = evaluate(samples)
            self._print(path.name, len(samples), report, quiet)

    def _line(self, label: str, tally: Tally) -> str:
        return (
            f"  {label:<12} recall {_pct(tally.recall)} ({tally.flagged_held}/{tally.flagged_total})"
            f"   false positives {_pct(tally.false_positive_rate)} ({tally.clean_held}/{tally.clean_total})"
        )

    def _print(self, name: str, count: int, report: Report, quiet: bool) -> None:
        out = self.stdout.write
        out(f"{name}: {count} texts")
        out(self._line("overall", report.overall))
        out(" per language (recall: a bad text is held; false positive: a clean text is held)")
        for language in sorted(report.languages):
            out(self._line(language, report.languages[language]))
        out(" per flag (recall: the flag is raised; false positive: raised on a text without that label)")
        for flag, tally in report.flags.items():
            out(self._line(flag, tally))
        if quiet:
            return
        out(" misses (expected -> screen):")
        for sample, flags in report.misses:
            expected = ",".join(sorted(sample.labels)) or "clean"
            out(f"  [{sample.language}] {expected} -> {','.join(flags) or 'clean'}: {sample.text}")
        out(" held for another reason than labelled:")
        for sample, flags in report.wrong_flag:
            out(f"  [{sample.language}] {','.join(sorted(sample.labels))} -> {','.join(flags)}: {sample.text}")
        out("")
