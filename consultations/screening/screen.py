"""screen_text: the reasons to hold a submission for a facilitator."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from functools import cache, lru_cache

from .contacts import has_email, has_phone
from .lexicon import Category, consonant_eligible, extra, lexicon
from .normalise import (
    SPELLED,
    arabic_stems,
    arabizi,
    arabizi_stems,
    has_arabizi_digits,
    is_arabic,
    latin,
    latin_singular,
    latin_singulars,
    latin_variants,
    leet,
    looks_arabizi,
    raw_tokens,
    skeleton,
    vowel_count,
    word_key,
)

FLAGS = ("insult", "hate", "accusation", "phone", "email")
WORD_SECTIONS = ("insult", "hate", "group", "dehumanise", "accusation", "animal", "literal", "address", "addressed")
# How many words may stand between "you" and what a person is called: "nta ghir 7ayawan", "espèce de gros porc".
ADDRESS_WINDOW = 3
# How many words may stand between a person's name and the accusation for the two to go together.
ACCUSATION_WINDOW = 12
_SEPARATORS = re.compile(r"[ .\-_*+/|]")


class _Forms:
    """The keys under which one folded word may appear in a list."""

    __slots__ = ("arabic", "arabizi", "consonants", "exact", "pattern", "skeletons")

    def __init__(self, key: str, arabizi_text: bool = True) -> None:
        self.pattern: re.Pattern[str] | None = None
        self.arabic = is_arabic(key)
        self.arabizi: AbstractSet[str] = frozenset()
        self.consonants: AbstractSet[str] = frozenset()
        self.skeletons: AbstractSet[str] = frozenset()
        if self.arabic:
            self.exact: set[str] = arabic_stems(key)
            return
        self.exact = {variant for reading in {key} | leet(key) for variant in latin_variants(reading)}
        self.exact |= latin_singulars(key)  # French and English plurals: "cons", "idiots", "dumbasses"
        stems = arabizi_stems(arabizi(key))
        self.arabizi = stems
        skeletons = {skeleton(stem) for stem in stems}
        canon = arabizi(key)
        if consonant_eligible(canon) and (arabizi_text or vowel_count(canon) == 0):
            # a word without vowels ("zml") anywhere; with one ("zaml"), only in a text written in Arabizi: in
            # English, "than" has the consonants of a slur. Suffixes stay on: "think" is not "thin" + k.
            self.consonants = {skeleton(canon)} | {skeleton(stem) for stem in stems if stem.endswith(canon[-1])}
        if has_arabizi_digits(key):
            self.skeletons = skeletons
        if "*" in key.strip("*") and len(key) >= 3:
            self.pattern = re.compile(re.escape(key).replace(r"\*", "[a-z]"))

    def found_in(self, category: Category) -> bool:
        if self.exact & category.words:
            return True
        if self.arabic:
            return False
        if (
            self.arabizi & category.arabizi
            or self.consonants & category.consonants
            or self.skeletons & category.skeletons
        ):
            return True
        if self.pattern is not None:
            return any(self.pattern.fullmatch(word) for word in category.latin_patterns)
        return False


_key = word_key


@lru_cache(maxsize=50000)
def word_sections(key: str, arabizi_text: bool = False) -> frozenset[str]:
    """The list sections (WORD_SECTIONS) that a folded word belongs to; none for a word listed as safe.

    arabizi_text says whether the text reads as Arabizi (normalise.looks_arabizi): only then are one-vowel
    Latin words compared by their consonants.
    """
    lex = lexicon()
    forms = _Forms(key, arabizi_text)
    safe = lex["safe"]
    if key in safe.words:  # as written: "7mer" (red) is safe, "7mar" (donkey) is not
        return frozenset()
    return frozenset(name for name in WORD_SECTIONS if forms.found_in(lex[name]))


@cache
def _phrase_index() -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """Every phrase of the lists, by its first word: (its words, its section)."""
    lex = lexicon()
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for name in (*WORD_SECTIONS, "safe"):
        for phrase in lex[name].phrases:
            words = tuple(phrase.split())
            index.setdefault(words[0], []).append((words, name))
    return index


def _phrases(words: list[str]) -> list[tuple[int, int, str]]:
    """The list phrases found in words: (start, end, section)."""
    index = _phrase_index()
    hits = []
    for start, word in enumerate(words):
        for phrase, name in index.get(word, ()):
            end = start + len(phrase)
            if tuple(words[start:end]) == phrase:
                hits.append((start, end, name))
    return hits


def _name_positions(tokens: list[str], keys: list[str]) -> list[int]:
    """Where a person is named: a title before a name, a known first name, or a capitalised first and last name."""
    lex = lexicon()
    titles, names, notname = lex["title"], lex["name"], lex["notname"]
    places, regnal = lex["place"].words, lex["regnal"].words
    positions = []
    count = len(tokens)

    def is_name(i: int, after_title: bool) -> bool:
        if i >= count:
            return False
        token, key = tokens[i], keys[i]
        if key in notname.words or key in titles.words or word_sections(key):
            return False
        if key in names.words:
            return True
        if is_arabic(token):
            # a family name often carries the article and ends in ي: "الباشا العمراني", "السيد العلوي"
            return after_title and (not key.startswith("ال") or key.endswith("ي")) and len(key) >= 3
        return token[:1].isupper() and len(key) >= 2

    for i, key in enumerate(keys):
        if (i > 0 and keys[i - 1] in places) or (i + 1 < count and keys[i + 1] in regnal):
            continue
        title_end = key in titles.words or any(
            " ".join(keys[max(0, i - n) : i + 1]) in titles.phrases for n in (1, 2, 3)
        )
        latin_capital = not is_arabic(tokens[i]) and tokens[i][:1].isupper()
        known_name = key in names.words and (is_arabic(tokens[i]) or latin_capital)
        full_name = (
            latin_capital
            and i + 1 < count
            and tokens[i + 1][:1].isupper()
            and is_name(i, after_title=False)
            and is_name(i + 1, after_title=False)
        )
        if title_end and is_name(i + 1, after_title=True):
            positions.append(i + 1)
        elif known_name or full_name:
            positions.append(i)
    return positions


_FRENCH = frozenset(
    {
        "le",
        "la",
        "les",
        "des",
        "du",
        "de",
        "en",
        "est",
        "sont",
        "une",
        "un",
        "pour",
        "dans",
        "au",
        "aux",
        "et",
        "nous",
        "il",
        "elle",
        "on",
        "pas",
        "qui",
        "que",
        "toujours",
    }
)
_ENGLISH = frozenset(
    {"the", "a", "an", "is", "are", "of", "to", "for", "in", "on", "and", "we", "they", "should", "be", "not", "it"}
)


def looks_french(keys: list[str]) -> bool:
    """More French function words than English ones."""
    return sum(key in _FRENCH for key in keys) > sum(key in _ENGLISH for key in keys)


def screen_text(text: str, extra_words: set[str] | None = None) -> list[str]:
    """Reasons to hold text for a facilitator, among "insult", "hate", "accusation", "phone", "email".

    extra_words are a city's own insults (setting MAJLIS_SCREEN_EXTRA_WORDS), in any language or script.
    """
    tokens = raw_tokens(text)
    keys = [_key(tok) for tok in tokens]
    # words spelled letter by letter ("c.o.n.n.a.r.d", "f u c k") are read once more, joined
    spelled = [latin(_SEPARATORS.sub("", m.group(0))) for m in SPELLED.finditer(text)]
    # ordinary phrases that contain a listed word ("الكلاب الضالة", "stray dogs") are set aside first
    safe = {i for start, end, name in _phrases(keys) if name == "safe" for i in range(start, end)}
    words = [key for i, key in enumerate(keys) if i not in safe]
    word_keys = words + spelled
    # French elision and English contractions: "d'abrutis", "l'idiot" ("3'" in Arabizi stays whole)
    word_keys += [part for key in word_keys if "'" in key for part in key.split("'") if len(part) > 2]
    arabizi_text = looks_arabizi(keys)
    english_only = lexicon()["english"].words
    found: set[str] = set()
    insult_words = []
    insult_keys: list[str] = []
    definite_animals = lexicon()["definite"].words
    french = looks_french(keys)
    for key in word_keys:
        sections = word_sections(key, arabizi_text)
        if not sections and not french and key in english_only:
            sections = frozenset({"hate"})
        found |= sections
        if "insult" in sections:
            insult_words.append(sections)
            insult_keys.append(key)
    # a word that is an insult only when said to someone: "نتا حيوان", "espèce de porc", "you pig" (and an
    # animal said to someone stays an insult even with the article: "نتوما الكلاب")
    fillers = lexicon()["filler"].words
    for i, key in enumerate(words):
        if "address" in word_sections(key, arabizi_text):
            # only small words may stand between: "t'es un", "you are a", "nta ghir", "espèce de gros"
            for other in words[i + 1 : i + 1 + ADDRESS_WINDOW]:
                if {"addressed", "insult"} & word_sections(other, arabizi_text):
                    found.add("insult")
                    insult_words.append(frozenset({"insult"}))
                    break
                if other not in fillers:
                    break
    # phrases as written, in Arabizi spelling, and with Latin plurals as singulars ("sales migrants")
    phrase_found = set()
    for variant in (
        words,
        [key if is_arabic(key) else arabizi(key) for key in words],
        [key if is_arabic(key) else latin_singular(key) for key in words],
    ):
        phrase_found |= {name for _, _, name in _phrases(variant) if name != "safe"}
    found |= phrase_found
    if (
        "insult" in found
        and "insult" not in phrase_found
        and ("literal" in found or all(key in definite_animals for key in insult_keys))
        and all("animal" in sections for sections in insult_words)
    ):
        # "a dog bit a child", "donkey carts block the road", "الكلاب كيتجمعو": the animal itself, not a person
        # called one (said to someone, "نتوما غير كلاب", it is an insult again: see the address rule below)
        found.discard("insult")
    if extra_words:
        city = extra(frozenset(extra_words))
        joined = " " + " ".join(words) + " "
        if any(_Forms(key, arabizi_text).found_in(city) for key in word_keys) or any(
            f" {p} " in joined for p in city.phrases
        ):
            found.add("insult")

    flags = []
    if "insult" in found:
        flags.append("insult")
    if "hate" in found or ("group" in found and ({"dehumanise", "insult"} & found)):
        flags.append("hate")
    if "accusation" in found:
        names = _name_positions(tokens, keys)
        accusation_at = [i for i, key in enumerate(keys) if "accusation" in word_sections(key, arabizi_text)]
        if names and (
            "accusation" in phrase_found or any(abs(n - a) <= ACCUSATION_WINDOW for n in names for a in accusation_at)
        ):
            flags.append("accusation")
    if has_phone(text):
        flags.append("phone")
    if has_email(text):
        flags.append("email")
    return flags
