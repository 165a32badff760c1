"""Normalisation shared by the screen and the duplicate suggestions.

Two writings of the same word should meet on one key: Arabic letter variants, diacritics, tatweel and Persian
lookalikes fold to one letter; Latin letters lose case and accents; a letter held down ("connnnard", "حمااار")
counts once; Arabizi (Latin letters with 2, 3, 5, 7, 9 for Arabic sounds) gets a canonical Latin spelling and a
consonant skeleton shared with Arabic script; leetspeak gets its own reading. Nothing here is for display.
"""

import re
import unicodedata
from functools import lru_cache

# --- Arabic script ---------------------------------------------------------------------------------------

_ARABIC_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ى": "ي",
        "ی": "ي",  # Persian yeh
        "ې": "ي",
        "ے": "ي",  # Urdu yeh barree
        "ئ": "ي",
        "ؤ": "و",
        "ۆ": "و",
        "ة": "ه",
        "ۃ": "ه",
        "ۀ": "ه",
        "ہ": "ه",  # Urdu heh goal
        "ھ": "ه",  # heh doachashmee
        "ک": "ك",  # Persian kaf
        "ڪ": "ك",
        "گ": "ك",  # Persian and Maghrebi gaf: the same key as kaf
        "ڭ": "ك",
        "ڤ": "ف",
        "ڢ": "ف",
        "پ": "ب",
        "چ": "ج",
        "ژ": "ز",
        "ء": "",
        "\u0640": "",  # tatweel
    }
)
_ARABIC_MARKS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED]")
_REPEAT = re.compile(r"(.)\1+")
_ARTICLE_BEFORE_L = re.compile(r"^[وفبك]?ال(?=ل)")
_ARABIC_CHAR = re.compile(r"[\u0600-\u06FF]")
_LATIN_DIGIT_MIX = re.compile(r"[a-z]")

# Prefixes (conjunctions, prepositions, article) and suffixes (pronouns, plurals, feminine; "و": Darija's plural
# verbs and "his") that attach to an Arabic word. Longest first. Text is already folded (ة -> ه, repeats
# collapsed: "لل" reads "ل").
ARABIC_PREFIXES = ("وال", "فال", "بال", "كال", "ال", "و", "ف", "ب", "ك", "ل")
ARABIC_SUFFIXES = ("كما", "هما", "ها", "هم", "هن", "كم", "كن", "نا", "ين", "ون", "ات", "ان", "يه", "ه", "ك", "ي", "و")

_DIGIT_TABLE = {ord(ch): str(unicodedata.digit(ch)) for ch in "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹"}


def ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits as 0-9."""
    return text.translate(_DIGIT_TABLE)


def arabic(word: str) -> str:
    """An Arabic-script word folded: letter variants, no diacritics or tatweel, repeated letters once."""
    word = _ARABIC_MARKS.sub("", word).translate(_ARABIC_LETTERS)
    article = _ARTICLE_BEFORE_L.match(word)
    if article:  # "اللاجئين": the article's ل and the word's ل are two letters, not one held down
        return article.group(0) + _REPEAT.sub(r"\1", word[article.end() :])
    return _REPEAT.sub(r"\1", word)


def arabic_stems(word: str) -> set[str]:
    """word (already folded by arabic) without the prefixes and suffixes that may be attached to it.

    Stems shorter than three letters are left out: they would meet too many ordinary words.
    """
    stems = {word}
    heads = [word]
    for prefix in ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            rest = word[len(prefix) :]
            heads.append(rest)
            # a conjunction before a preposition or the article: "وبال", "فل"
            for second in ARABIC_PREFIXES:
                if second != prefix and rest.startswith(second) and len(rest) - len(second) >= 3:
                    heads.append(rest[len(second) :])
    for head in heads:
        stems.add(head)
        for suffix in ARABIC_SUFFIXES:
            if head.endswith(suffix) and len(head) - len(suffix) >= 3:
                stems.add(head[: -len(suffix)])
    return stems


def is_arabic(word: str) -> bool:
    return bool(_ARABIC_CHAR.search(word))


# --- Latin script ----------------------------------------------------------------------------------------


_HELD_DOWN = re.compile(r"(.)\1{2,}")


def latin(word: str) -> str:
    """A Latin word in lower case, without accents; a letter held down counts twice ("connnnard" -> "connard").

    Ordinary double letters stay: "refugee" is not "refuge". latin_variants adds the reading with every double
    letter once ("fuuuuck" -> "fuuck" -> "fuck").
    """
    word = unicodedata.normalize("NFKD", word.lower())
    word = "".join(ch for ch in word if not unicodedata.combining(ch))
    word = word.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return _HELD_DOWN.sub(r"\1\1", word)


def latin_variants(word: str) -> set[str]:
    """word (from latin) and, when it has double letters, the same with each letter once."""
    single = _REPEAT.sub(r"\1", word)
    return {word, single} if single != word else {word}


def latin_singular(word: str) -> str:
    """A French or English plural without its ending ("migrants" -> "migrant"); other words unchanged."""
    if len(word) >= 4 and word[-1] in "sx":
        return word[:-1]
    return word


def latin_singulars(word: str) -> set[str]:
    """Readings of a Latin word as a plural: "-s", "-x", and English "-es" ("dumbasses" -> "dumbass")."""
    readings = set()
    if len(word) >= 4 and word[-1] in "sx":
        readings.add(word[:-1])
        if word.endswith("es") and len(word) >= 5:
            readings.add(word[:-2])
    return readings


_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s"})
_LEET_L = str.maketrans({"1": "l"})


def leet(word: str) -> set[str]:
    """Readings of a Latin word written with digits or symbols for letters ("c0nnard", "1d10t", "sh1t")."""
    if not any(ch in "0134578@$!" for ch in word):
        return set()
    readings = {word.translate(_LEET).replace("!", "i"), word.translate(_LEET_L).translate(_LEET).replace("!", "i")}
    return {_HELD_DOWN.sub(r"\1\1", r) for r in readings}


# Arabizi: digraphs and digits first, then the vowels fold to three classes.
_ARABIZI_STEPS = (
    ("x", "c"),  # "xhal": x is often ش in Moroccan Arabizi; خ is written kh or 5
    ("3'", "g"),
    ("9'", "d"),
    ("7'", "x"),
    ("6'", "d"),
    ("kh", "x"),
    ("gh", "g"),
    ("ch", "c"),
    ("sh", "c"),
    ("dj", "j"),
    ("ou", "u"),
    ("5", "x"),
    ("7", "h"),
    ("9", "q"),
    ("8", "g"),
    ("6", "t"),
    ("2", ""),
    ("e", "a"),
    ("o", "u"),
    ("y", "i"),
    ("'", ""),
)
ARABIZI_DIGITS = frozenset("235679")


def has_arabizi_digits(word: str) -> bool:
    """True for a Latin word with letters and the digits Arabizi uses for Arabic sounds ("l9a7ba", "3afak")."""
    return bool(_LATIN_DIGIT_MIX.search(word)) and any(ch in ARABIZI_DIGITS for ch in word)


@lru_cache(maxsize=20000)
def arabizi(word: str) -> str:
    """A canonical spelling of a Latin (Arabizi) word: "l9a7ba", "lqahba" and "l9ahba" all read "lqahba"."""
    initial_y = word.startswith("y")  # "yhoud": a consonant, not the vowel y reads inside a word
    for old, new in _ARABIZI_STEPS:
        word = word.replace(old, new)
    word = _REPEAT.sub(r"\1", word)
    return "y" + word[1:] if initial_y and word.startswith("i") else word


ARABIZI_PREFIXES = ("wal", "bal", "fal", "al", "el", "l", "w", "f", "b")
ARABIZI_SUFFIXES = ("kum", "hum", "ha", "ak", "ik", "k", "na", "in", "at", "a", "i")


def arabizi_stems(canon: str) -> set[str]:
    """A canonical Arabizi word without an attached article, conjunction, preposition or pronoun."""
    stems = {canon}
    heads = [canon]
    for prefix in ARABIZI_PREFIXES:
        if canon.startswith(prefix) and len(canon) - len(prefix) >= 3:
            heads.append(canon[len(prefix) :])
    for head in heads:
        stems.add(head)
        for suffix in ARABIZI_SUFFIXES:
            if head.endswith(suffix) and len(head) - len(suffix) >= 3:
                stems.add(head[: -len(suffix)])
    return stems


_VOWELS = frozenset("aiu")


def vowel_count(canon: str) -> int:
    return sum(1 for ch in canon if ch in _VOWELS)


# The consonant skeleton: what Arabic script and Arabizi share once short vowels are gone.
_SKELETON_ARABIC = str.maketrans(
    {
        "ب": "b",
        "ت": "t",
        "ث": "t",
        "ج": "j",
        "ح": "h",
        "خ": "x",
        "د": "d",
        "ذ": "d",
        "ر": "r",
        "ز": "z",
        "س": "s",
        "ش": "c",
        "ص": "s",
        "ض": "d",
        "ط": "t",
        "ظ": "d",
        "ع": "3",
        "غ": "g",
        "ف": "f",
        "ق": "q",
        "ك": "k",
        "ل": "l",
        "م": "m",
        "ن": "n",
        "ه": "h",
        "و": "w",
        "ي": "y",
        "ا": "a",
    }
)


def skeleton(word: str) -> str:
    """Consonants of a folded Arabic word or of a canonical Arabizi word, in one alphabet.

    Long vowels inside the word are dropped (ا, و, ي as vowels; a, i, u); a vowel at the start stays as "a" so
    that "a7mar" (red) and "7mar" (donkey) stay apart.
    """
    if is_arabic(word):
        word = word.translate(_SKELETON_ARABIC)
    head, body = word[:1], word[1:]
    if head in "aiu":
        head = "a"
    body = "".join(ch for ch in body if ch not in "aiuwy")
    out = _REPEAT.sub(r"\1", head + body)
    if len(out) > 3 and out.endswith("h"):
        out = out[:-1]  # the feminine ending (ة read as ه) or a final -ha
    return out


# --- Text --------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[\w'*@$!]+", re.UNICODE)
# Letters spelled out one by one: "c.o.n.n.a.r.d", "f u c k", "c-o-n".
SPELLED = re.compile(r"(?<!\w)(?:\w[ .\-_*+/|]{1,3}){2,}\w(?!\w)")


def join_spelled(text: str) -> str:
    """Runs of three or more single letters separated by spaces or punctuation, written as one word."""
    return SPELLED.sub(lambda m: re.sub(r"[ .\-_*+/|]", "", m.group(0)), text)


def raw_tokens(text: str) -> list[str]:
    """The words of text, keeping the characters leetspeak and Arabizi use ("c0n", "3'", "f*ck")."""
    text = ascii_digits(unicodedata.normalize("NFKC", text))
    return [tok.strip("'!") for tok in _TOKEN.findall(text) if tok.strip("'!*")]


@lru_cache(maxsize=50000)
def word_key(word: str) -> str:
    """One word as the lists and the comparisons see it: folded Arabic, or lowered Latin."""
    return arabic(word) if is_arabic(word) else latin(word)


# Common Darija words in Latin letters: a Latin text with one of them, or with Arabizi digits, is read as Arabizi.
ARABIZI_MARKERS = frozenset(
    # not "a", "had", "fin", "sir", "bla": English or French words too
    {
        "dyal",
        "dial",
        "bghina",
        "bghit",
        "bghaw",
        "khas",
        "khasna",
        "khassna",
        "khasshom",
        "bzaf",
        "wach",
        "chi",
        "kayn",
        "kayna",
        "ghir",
        "walakin",
        "mn",
        "m3a",
        "3la",
        "hadi",
        "hada",
        "machi",
        "bach",
        "kol",
        "ma3ndhom",
        "fih",
        "fiha",
        "ana",
        "7na",
        "ntouma",
        "ntoma",
        "nta",
        "homa",
        "wld",
        "weld",
        "wlad",
        "lah",
        "ya",
        "rah",
        "daba",
        "walo",
        "hna",
        "kolchi",
    }
)


def looks_arabizi(keys: list[str]) -> bool:
    """A text (its folded words) written in Arabizi: Arabizi digits, or common Darija words in Latin letters."""
    return any(has_arabizi_digits(key) or key in ARABIZI_MARKERS for key in keys)
