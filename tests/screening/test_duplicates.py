"""fold and likely_duplicates: one idea in Arabic script, Arabizi, French or English meets itself."""

from pathlib import Path

import pytest

from consultations.screening import fold, likely_duplicates


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Il faut plus de bus le soir", "khasna tobisat f lil"),
        ("Il faut plus de bus le soir", "بغينا طوبيسات فالليل"),
        ("On manque de terrains de foot", "خاصنا تيران ديال الكورة"),
        ("On manque de terrains de foot", "khasna tiran dyal lkoura"),
        ("bghina khedma l chabab", "Des emplois pour les jeunes"),
        ("bghina khedma l chabab", "بغينا الخدمة للشباب"),
        ("Le transport est trop cher", "النقل غالي بزاف"),
        ("Une maison des jeunes ouverte le soir", "dar chabab t7el f lil"),
        ("We need a library with wifi", "bghina maktaba fiha wifi"),
        ("الضو فالزنقة", "Lampadaires dans la rue"),
    ],
)
def test_the_same_idea_across_scripts_is_suggested(one, other):
    assert [pk for pk, _ in likely_duplicates(one, [(7, other)])] == [7], f"{fold(one)!r} vs {fold(other)!r}"
    assert [pk for pk, _ in likely_duplicates(other, [(7, one)])] == [7]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Il faut plus de bus le soir", "Une bibliothèque ouverte le samedi"),
        ("khasna tiran dyal lkoura", "bghina maktaba f l7ay"),
        ("النقل غالي بزاف", "الماء كيتقطع فالصيف"),
        ("Des emplois pour les jeunes", "Nettoyer la plage l'été"),
        ("Les chiens errants font peur", "Des caméras dans les bus"),
    ],
)
def test_unrelated_ideas_are_not_suggested(one, other):
    assert likely_duplicates(one, [(1, other)]) == []


def test_most_similar_first_and_limit_kept():
    others = [
        (1, "Nettoyer la plage"),
        (2, "bghina tobisat f lil"),
        (3, "Plus de bus le soir svp"),
        (4, "Il faut plus de bus le soir"),
        (5, "bus"),
    ]
    found = likely_duplicates("Il faut plus de bus le soir", others, limit=2)
    assert len(found) == 2
    assert found[0][1] == 1.0  # the same words, and the same idea in Arabizi, tie at the top
    assert {pk for pk, _ in found} <= {2, 3, 4}
    assert found[0][1] >= found[1][1]
    assert likely_duplicates("Il faut plus de bus le soir", others, limit=5)[-1][0] not in {1}


def test_empty_or_only_function_words_suggest_nothing():
    assert likely_duplicates("", [(1, "bus")]) == []
    assert likely_duplicates("le la les de", [(1, "le la les")]) == []


def test_fold_is_the_screen_s_normalisation():
    assert fold("CONNNNARD") == fold("connard")
    assert fold("مدرسة") == fold("المدرسه")
    assert fold("الحي") == fold("حي")


def _pairs():
    rows = []
    for line in (Path(__file__).resolve().parent / "duplicates.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", "label\t")):
            rows.append(tuple(line.split("\t")))
    return rows


def test_labelled_pairs_are_suggested_and_unrelated_pairs_are_not():
    pairs = _pairs()
    same = [(a, b) for label, a, b in pairs if label == "same"]
    different = [(a, b) for label, a, b in pairs if label == "different"]
    assert len(same) >= 40 and len(different) >= 30
    found = [(a, b) for a, b in same if likely_duplicates(a, [(1, b)])]
    wrong = [(a, b) for a, b in different if likely_duplicates(a, [(1, b)])]
    assert len(found) >= 0.9 * len(same), sorted(set(same) - set(found))
    assert len(wrong) <= 0.05 * len(different), wrong
