"""The word lists, read once from the data files in words/ and turned into lookup keys.

A list file (words/<language>.txt) has sections such as [insult] or [title], one entry a line; an entry may be a
phrase of several words; "#" starts a comment. Arabic-script entries are folded as the text is (normalise.arabic);
Latin entries are lowered without accents; in the files of languages written in Arabizi (ary, tzm-latn, and any
file whose name ends in "-arabizi") Latin entries are also read as Arabizi, so "zamel" meets "zaaml" and "z4mel".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from .normalise import arabizi, is_arabic, latin, latin_singular, raw_tokens, skeleton, vowel_count, word_key

WORDS_DIR = Path(__file__).resolve().parent / "words"
LIST_FILES = ("ary.txt", "ar.txt", "fr.txt", "en.txt", "tzm-latn.txt", "names.txt")
ARABIZI_LANGUAGES = {"ary", "ar", "tzm-latn"}
SECTIONS = {
    "insult",  # an insult to a person
    "hate",  # a slur or a phrase against a group
    "group",  # a group of people (ethnic, religious, gender, migrants, disability...): neutral alone
    "dehumanise",  # a word that, said of a group, is hate ("parasites", "dehors")
    "accusation",  # an accusation of a crime or of corruption
    "title",  # a title before a person's name ("le maire", "السيد")
    "notname",  # capitalised or following words that are not a person's name (places, institutions)
    "safe",  # ordinary words or phrases that look like an entry ("الكلاب الضالة", "7mer": red)
    "animal",  # an insult that is also an animal ("حمار", "kelb"): not an insult when the text is about animals
    "literal",  # a word that shows animals are meant as animals ("bite", "stray", "carts", "vaccination")
    "address",  # a word that speaks to someone ("nta", "يا", "espèce de", "you")
    "addressed",  # a word that is an insult when said to someone ("حيوان", "porc", "pig"), not otherwise
    "filler",  # a small word that may stand between the two ("un", "are", "ghir", "غير")
    "english",  # English slurs that are also French words ("retard": late): only in a text that is not French
    "definite",  # an animal with the article, most often the animal itself ("الكلاب", "lklab": stray dogs)
    "name",  # common first names
    "place",  # a word before a name that makes it a place ("شارع", "avenue", "lycée")
    "regnal",  # a word after a name that makes it a king's, hence a street's ("Mohammed V", "الحسن الثاني")
}
_SECTION = re.compile(r"^\[([a-z]+)\]$")


_key = word_key


def phrase_key(text: str) -> str:
    """A phrase as the screen compares it: folded words separated by single spaces."""
    return " ".join(_key(tok) for tok in raw_tokens(text))


@dataclass
class Category:
    """The keys of one section across every language."""

    words: set[str] = field(default_factory=set)  # folded Arabic words and lowered Latin words
    arabizi: set[str] = field(default_factory=set)  # canonical Arabizi spellings
    consonants: set[str] = field(default_factory=set)  # skeletons of Arabizi entries, for "zml", "7mr"
    skeletons: set[str] = field(default_factory=set)  # skeletons of Arabic and Arabizi entries
    phrases: set[str] = field(default_factory=set)  # folded phrases (several words)
    latin_patterns: list[str] = field(default_factory=list)  # Latin words, for "f*ck"

    def add(self, entry: str, language: str) -> None:
        tokens = raw_tokens(entry)
        if not tokens:
            return
        if len(tokens) > 1:
            keys = [_key(tok) for tok in tokens]
            self.phrases.add(" ".join(keys))
            self.phrases.add(" ".join(key if is_arabic(key) else latin_singular(key) for key in keys))
            if language in ARABIZI_LANGUAGES and not is_arabic(entry):
                self.phrases.add(" ".join(arabizi(latin(tok)) for tok in tokens))
            return
        word = tokens[0]
        key = _key(word)
        self.words.add(key)
        if is_arabic(word):
            if language in {"ary", "ar"} and len(skeleton(key)) >= 3:
                self.skeletons.add(skeleton(key))
            return
        self.latin_patterns.append(key)
        if language in ARABIZI_LANGUAGES:
            canon = arabizi(key)
            self.arabizi.add(canon)
            skel = skeleton(canon)
            # an entry written with its article ("lihoud") has a skeleton too loose to compare ("lwahida")
            if len(skel) >= 3 and not canon.startswith(("l", "al")):
                self.consonants.add(skel)
                self.skeletons.add(skel)


@dataclass
class Lexicon:
    sections: dict[str, Category]

    def __getitem__(self, name: str) -> Category:
        return self.sections[name]


def _read(path: Path, language: str, sections: dict[str, Category]) -> None:
    current = None
    for line_no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _SECTION.match(line)
        if match:
            current = match.group(1)
            if current not in SECTIONS:
                raise ValueError(f"{path.name}:{line_no}: unknown section [{current}]")
            continue
        if current is None:
            raise ValueError(f"{path.name}:{line_no}: an entry before any [section]")
        sections[current].add(line, language)


@cache
def lexicon() -> Lexicon:
    """Every list file, read on first use and kept for the life of the process."""
    sections = {name: Category() for name in SECTIONS}
    for name in LIST_FILES:
        path = WORDS_DIR / name
        if path.exists():
            _read(path, name.removesuffix(".txt"), sections)
    return Lexicon(sections)


@lru_cache(maxsize=64)
def extra(words: frozenset[str]) -> Category:
    """A city's own words (setting MAJLIS_SCREEN_EXTRA_WORDS), read as insults in any language and as Arabizi."""
    category = Category()
    for word in words:
        category.add(word, "ary")
    return category


def consonant_eligible(canon: str) -> bool:
    """A Latin word written without its vowels ("zml", "7mr"): its skeleton may be compared."""
    return vowel_count(canon) <= 1 and len(canon) >= 3
