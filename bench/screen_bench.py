"""``python -m bench.screen_bench``: the automatic screen's cost per submission, and the console's duplicate search.

The screen runs inside the submission path of a live room (consultations/screening, services.item_submit), and the
console asks for likely duplicates of each new item among the session's items. Prints one JSON line: the median and
99th percentile of screen_text per text over every text of the labelled sets in tests/screening/ (--repeat passes),
and the median of likely_duplicates for one text against --candidates others. docs/benchmarks.md, *The automatic
screen*.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--candidates", type=int, default=300)
    args = p.parse_args(argv)

    import django

    django.setup()
    from consultations.screening import likely_duplicates, screen_text

    texts = [s.text for path in sorted((ROOT / "tests" / "screening").glob("*.tsv")) for s in _samples(path)]
    screen_text(texts[0])  # the word lists are read once per process
    per_text = []
    for _ in range(args.repeat):
        for text in texts:
            start = time.perf_counter()
            screen_text(text)
            per_text.append(time.perf_counter() - start)
    per_text.sort()
    others = [(i, texts[i % len(texts)]) for i in range(args.candidates)]
    likely_duplicates(texts[1], others)  # each candidate is folded once (then cached)
    searches = []
    for text in texts[:200]:
        start = time.perf_counter()
        likely_duplicates(text, others)
        searches.append(time.perf_counter() - start)
    line = {
        "scenario": "screen",
        "texts": len(texts),
        "repeat": args.repeat,
        "screen_median_us": round(statistics.median(per_text) * 1e6, 1),
        "screen_p99_us": round(per_text[int(len(per_text) * 0.99)] * 1e6, 1),
        "duplicates_candidates": args.candidates,
        "duplicates_median_ms": round(statistics.median(searches) * 1e3, 3),
    }
    print(json.dumps(line))
    return 0


def _samples(path: Path):
    """The labelled texts of a set (duplicates.tsv holds pairs, not texts to screen)."""
    from consultations.screening.evaluation import read_samples

    return read_samples(path) if path.name != "duplicates.tsv" else []


if __name__ == "__main__":
    sys.exit(main())
