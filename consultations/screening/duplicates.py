"""fold and likely_duplicates: which submissions say the same thing, whatever the script or the language.

Texts are folded as the screen folds them, then words that name one civic idea in Arabic, Darija (Arabic script
or Arabizi), French or English meet on one concept (words/concepts.txt: "transport", "نقل", "tran9il" read
"@transport"). Function words (words/stopwords.txt) are left out. Two texts are compared by their shared words,
concepts counting double.
"""

from __future__ import annotations

from functools import cache, lru_cache

from .lexicon import WORDS_DIR
from .normalise import (
    arabic_stems,
    arabizi,
    arabizi_stems,
    is_arabic,
    looks_arabizi,
    raw_tokens,
    skeleton,
    word_key,
)

CONCEPT_WEIGHT = 2.0
SKELETON_WEIGHT = 0.5  # a skeleton of one or two consonants says little
THRESHOLD = 0.34


def _lines(name: str) -> list[str]:
    lines = []
    for raw in (WORDS_DIR / name).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


_key = word_key


@cache
def _tables() -> tuple[dict[str, str], dict[str, str], dict[str, str], frozenset[str]]:
    """(words -> concept, Arabizi spellings -> concept, phrases -> concept, stop words), read once."""
    words: dict[str, str] = {}
    spellings: dict[str, str] = {}
    phrases: dict[str, str] = {}
    for line in _lines("concepts.txt"):
        concept, _, entries = line.partition(":")
        concept = "@" + concept.strip()
        for entry in entries.split(","):
            tokens = raw_tokens(entry)
            if len(tokens) > 1:
                phrases[" ".join(_key(tok) for tok in tokens)] = concept
            elif tokens:
                key = _key(tokens[0])
                words[key] = concept
                if not is_arabic(key):
                    spellings[arabizi(key)] = concept
    stop = frozenset(_key(tok) for line in _lines("stopwords.txt") for tok in line.split())
    return words, spellings, phrases, stop


@lru_cache(maxsize=50000)
def _word(key: str, arabizi_text: bool) -> str:
    """One folded word as fold writes it: its concept, or a stem.

    Words that are not concepts meet across Arabic script and Arabizi by their consonant skeleton ("مسدود" and
    "msdoud" both read "~msd"); Latin words of a French or English text keep their spelling, minus a plural.
    """
    words, spellings, _, _ = _tables()
    if key in words:
        return words[key]
    if is_arabic(key):
        stems = arabic_stems(key)
        for stem in sorted(stems, key=len):
            if stem in words:
                return words[stem]
        return "~" + skeleton(_arabic_stem(key))
    canon = arabizi(key)
    if canon in spellings:
        return spellings[canon]
    for stem in arabizi_stems(canon):
        if stem in spellings:
            return spellings[stem]
    if arabizi_text:
        for article in ("al", "el", "l"):
            if canon.startswith(article) and len(canon) - len(article) >= 3:
                canon = canon[len(article) :]
                break
        return "~" + skeleton(canon)
    if len(key) > 4 and key[-1] in "sx":
        key = key[:-1]  # French and English plurals
    return key


_FOLD_PREFIXES = ("وال", "فال", "بال", "كال", "ال", "ل")
_FOLD_SUFFIXES = ("ات", "ين", "ون", "ه")


def _arabic_stem(key: str) -> str:
    """A light, deterministic stem: the article (with a conjunction or preposition) and a plural or feminine
    ending off, so that "الحي" and "حي", "ملعب" and "الملعب" fold alike."""
    for prefix in _FOLD_PREFIXES:
        if key.startswith(prefix) and len(key) - len(prefix) >= 2:
            key = key[len(prefix) :]
            break
    for suffix in _FOLD_SUFFIXES:
        if key.endswith(suffix) and len(key) - len(suffix) >= 3:
            return key[: -len(suffix)]
    return key


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """text reduced to what two writings of the same words share, for comparing texts (not for display)."""
    _, _, phrases, stop = _tables()
    joined = " " + " ".join(_key(tok) for tok in raw_tokens(text)) + " "
    for phrase, concept in phrases.items():
        if f" {phrase} " in joined:
            joined = joined.replace(f" {phrase} ", f" {concept} ")
    keys = joined.split()
    arabizi_text = looks_arabizi(keys)
    out = []
    for key in keys:
        if key in stop or (len(key) < 2 and not key.isdigit()):
            continue
        word = _word(key, arabizi_text)
        if word not in stop:
            out.append(word)
    return " ".join(out)


@lru_cache(maxsize=8192)
def _bag(text: str) -> frozenset[str]:
    return frozenset(fold(text).split())


def _weight(words: frozenset[str]) -> float:
    return sum(
        CONCEPT_WEIGHT if w.startswith("@") else SKELETON_WEIGHT if len(w) <= 3 and w[0] == "~" else 1.0 for w in words
    )


def similarity(a: str, b: str) -> float:
    """How much two texts share, in 0..1 (weighted Dice coefficient of their folded words)."""
    mine, theirs = _bag(a), _bag(b)
    if not mine or not theirs:
        return 0.0
    return 2 * _weight(mine & theirs) / (_weight(mine) + _weight(theirs))


def likely_duplicates(text: str, others: list[tuple[int, str]], limit: int = 3) -> list[tuple[int, float]]:
    """The ids of others (id, text) that likely say the same as text, most similar first, with a score in 0..1."""
    mine = _bag(text)
    if not mine:
        return []
    my_weight = _weight(mine)
    scored = []
    for pk, other in others:
        theirs = _bag(other)
        if not theirs or not (mine & theirs):
            continue
        score = 2 * _weight(mine & theirs) / (my_weight + _weight(theirs))
        if score >= THRESHOLD:
            scored.append((pk, round(score, 3)))
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored[:limit]
