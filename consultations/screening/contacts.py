"""Contact details: e-mail addresses and phone numbers, in symbols or written out in words."""

import re
from functools import cache

from .lexicon import WORDS_DIR
from .normalise import ascii_digits, raw_tokens, word_key

EMAIL = re.compile(r"[\w.+-]+\s*(?:@|\(at\)|\[at\]|\(@\)|\[@\])\s*[\w-]+(?:\s*(?:\.|\(dot\)|\[dot\])\s*[\w-]+)+", re.I)

# Eight or more digits in one run, with up to three separators between them ("06 12 34 56 78", "0-6-1-2...").
_PHONE = re.compile(r"(?:\+|00)?(?:\d[\s.\-/_,()]{0,3}){8,}")
_YEAR = re.compile(r"^(?:19|20)\d\d$")

# Words that stand for "@" and "." when an address is written out.
AT_WORDS = {"@", "at", "arobase", "arobas", "arrobase", "arroba", "chez", "ات", "آت", "اط", "ايت", "أت", "اروباز"}
DOT_WORDS = {".", "dot", "point", "pt", "punto", "نقطه", "نقطة", "بوان", "دوت", "بوينت"}
# Domains people name instead of writing them.
PROVIDERS = {
    "gmail",
    "hotmail",
    "yahoo",
    "outlook",
    "live",
    "icloud",
    "protonmail",
    "menara",
    "laposte",
    "orange",
    "free",
    "جيميل",
    "جميل_",
    "جيمايل",
    "هوتميل",
    "هوتمايل",
    "ياهو",
}
TLDS = {"com", "ma", "fr", "net", "org", "iq", "lb", "edu", "info", "co", "io", "كوم", "ما", "نت"}

_SPACES = re.compile(r"\s+")
_MAYBE_AT = re.compile(r"(?i)\bat\b|arob|arrob|chez|\(at\)|\[at\]|(?<!\w)(?:ات|آت|أت|اط|ايت|اروباز)(?!\w)")
_EMAIL_TOKEN = re.compile(r"[\w.+-]+|[@.]|\(at\)|\[at\]|\(dot\)|\[dot\]", re.I)


def _address_words(text: str) -> list[str]:
    words = []
    for tok in _EMAIL_TOKEN.findall(ascii_digits(text)):
        tok = tok.strip("()[]")
        folded = word_key(tok)
        if folded in AT_WORDS or tok == "@":
            words.append("@")
        elif folded in DOT_WORDS:
            words.append(".")
        else:
            words.append(folded)
    return words


def has_email(text: str) -> bool:
    """An address in symbols, or written out: "youssef point benali arobase gmail point com"."""
    if EMAIL.search(text) or ("@" in text and EMAIL.search(_SPACES.sub("", text))):
        return True  # also "y o u s s e f @ g m a i l . c o m"
    if not _MAYBE_AT.search(text):
        return False  # no word for "@" at all: nothing to read out
    words = _address_words(text)
    for i, word in enumerate(words):
        if word != "@" or i == 0 or words[i - 1] in {"@", "."}:
            continue
        domain = words[i + 1 : i + 6]
        if not domain:
            continue
        # "name @ gmail", "name @ gmail . com", "name @ example . ma"
        if domain[0] in PROVIDERS:
            return True
        if len(domain) >= 3 and domain[1] == "." and domain[2] in TLDS:
            return True
    return False


@cache
def number_words() -> dict[str, str]:
    """Digits written in words (words/numbers.txt: "word digits" a line), folded as the screen reads them."""
    table = {}
    for raw in (WORDS_DIR / "numbers.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        *words, digits = line.split()
        for word in words:
            table[word_key(word)] = digits
    return table


def _digits_runs(text: str) -> list[str]:
    """Runs of digits written as numerals and number words, mixed ("zero six 12 trente-quatre...")."""
    table = number_words()
    runs: list[tuple[list[str], bool]] = []
    current: list[str] = []
    spelled = False
    for tok in raw_tokens(text.replace("-", " ")):
        if tok.isdigit():
            current.append(tok)
            continue
        folded = word_key(tok)
        if folded in table:
            value = table[folded]
            # "soixante dix huit", "quatre vingt": a tens word takes the next word's units
            if current and current[-1].endswith("0") and len(current[-1]) == 2 and value.isdigit() and len(value) == 1:
                current[-1] = current[-1][0] + value
            elif current and current[-1] in {"60", "80"} and value in {"10", "11", "12", "13", "14", "15", "16"}:
                current[-1] = str(int(current[-1]) + int(value))
            elif current and current[-1] == "4" and value == "20":  # quatre vingt
                current[-1] = "80"
            else:
                current.append(value)
            spelled = True
            continue
        if folded in {"et", "and", "و"} and current:
            continue  # "vingt et un"
        if current:
            runs.append((current, spelled))
        current, spelled = [], False
    if current:
        runs.append((current, spelled))
    # numerals alone are the regular expression's business; a run counts here when a word is part of it
    return ["".join(run) for run, has_word in runs if has_word]


# Amounts and counts grouped by thousands ("12 500 000 dirhams", "1.200.000 DH") and dates are not numbers to call.
_DATE = re.compile(r"(?<![\d/.\-])\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)?\d\d(?![/.\-]?\d)")
_THOUSANDS = re.compile(r"^[1-9]\d{0,2}(?:[\s.,]\d{3})+$")
_UNIT = re.compile(
    r"^\s*(?:dh|dhs|mad|dirhams?|drahem|dollars?|usd|euros?|eur|€|\$|lbp|iqd|dinars?|liras?|livres?|riyals?|"
    r"million|millions|milliard|habitants|personnes|people|residents|m2|km|"
    r"درهم|دراهم|دولار|يورو|دينار|ليره|ليرة|ريال|مليون|نسمه|نسمة|شخص)\b",
    re.IGNORECASE,
)


def _is_amount(match: re.Match, text: str) -> bool:
    number = match.group(0).strip(" .,-/_()")
    if not _THOUSANDS.match(number):
        return False
    before = text[max(0, match.start() - 12) : match.start()]
    return bool(_UNIT.match(text[match.end() :]) or re.search(r"(?:\$|€|dh|mad|usd)\s*$", before, re.I))


def has_phone(text: str) -> bool:
    """Eight or more digits in a run: numerals (any script), spaced out, or spelled in words."""
    digits_text = _DATE.sub(" ", ascii_digits(text))
    for match in _PHONE.finditer(digits_text):
        groups = re.findall(r"\d+", match.group(0))
        if groups and all(_YEAR.match(g) for g in groups):
            continue  # "2024 2025": years, not a number
        if _is_amount(match, digits_text):
            continue
        return True
    return any(len(run) >= 8 for run in _digits_runs(digits_text))
