"""The labelled sets meet the aims of issue 21 (recall >= 0.9, false positives <= 5 %), and screen_eval says so."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from consultations.screening.evaluation import evaluate, read_samples

HERE = Path(__file__).resolve().parent
SETS = ("corpus.tsv", "heldout.tsv", "heldout2.tsv", "heldout3.tsv")


@pytest.mark.parametrize("name", SETS)
def test_labelled_set_meets_the_aims(name):
    report = evaluate(read_samples(HERE / name))
    assert report.overall.recall >= 0.9, [s.text for s, _ in report.misses]
    assert report.overall.false_positive_rate <= 0.05, [s.text for s, _ in report.misses]


def test_tuning_set_is_large_and_mixed():
    samples = read_samples(HERE / "corpus.tsv")
    assert len(samples) >= 400
    languages = {s.language for s in samples}
    assert {"ary", "ary-latn", "ar", "fr", "en", "tzm-latn"} <= languages
    clean = [s for s in samples if not s.labels]
    assert len(clean) > len(samples) / 2  # most texts in a real room are ordinary proposals
    held_out = [sample for name in SETS[1:] for sample in read_samples(HERE / name)]
    assert len(held_out) >= 100
    assert not {s.text for s in held_out} & {s.text for s in samples}


def test_every_clean_text_of_the_sets_passes():
    for name in SETS:
        report = evaluate(read_samples(HERE / name))
        wrongly_held = [s.text for s, _ in report.misses if not s.labels]
        assert len(wrongly_held) <= 0.05 * report.overall.clean_total, wrongly_held


def test_screen_eval_prints_recall_false_positives_per_language_and_flag_and_misses(tmp_path):
    labelled = tmp_path / "set.tsv"
    labelled.write_text(
        "labels\tlanguage\ttext\n"
        "insult\tary-latn\tl9a7ba\n"
        "clean\tfr\tPlus de bus le soir\n"
        "phone\tfr\tmon numéro est secret\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("screen_eval", sets=[str(labelled)], stdout=out)
    text = out.getvalue()
    assert "overall      recall  50.0% (1/2)   false positives   0.0% (0/1)" in text
    assert "ary-latn" in text and "fr " in text
    assert "phone        recall   0.0% (0/1)" in text
    assert "[fr] phone -> clean: mon numéro est secret" in text


def test_unknown_label_is_refused(tmp_path):
    labelled = tmp_path / "set.tsv"
    labelled.write_text("insulte\tfr\tbonjour\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown label"):
        read_samples(labelled)
