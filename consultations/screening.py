"""The automatic screen: flags insults, phone numbers and e-mail addresses in Arabic, French and English.

A flag never rejects a submission; it holds it for a facilitator (see services.item_submit).
"""

import re
import unicodedata

EMAIL = re.compile(r"[\w.+-]+\s*(?:@|\(at\)|\[at\])\s*[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# Eight or more digits, allowing spaces, dots, dashes and a leading +; Arabic-Indic and Eastern digits included.
PHONE = re.compile(r"(?:\+|00)?(?:\d[\s.\-/]?){8,}")

# A short list of common insults in the three languages, normalised (lower case, no diacritics, no tatweel).
# Cities extend it in settings (MAJLIS_SCREEN_EXTRA_WORDS).
INSULTS = {
    # English
    "idiot",
    "stupid",
    "moron",
    "bastard",
    "fuck",
    "fucking",
    "shit",
    "bitch",
    "asshole",
    "dumbass",
    "retard",
    # French
    "con",
    "connard",
    "connasse",
    "salaud",
    "salope",
    "pute",
    "merde",
    "encule",
    "debile",
    "cretin",
    "abruti",
    "batard",
    "nique",
    # Arabic (Modern Standard and Maghrebi/Levantine colloquial)
    "غبي",
    "حمار",
    "كلب",
    "حقير",
    "تافه",
    "وسخ",
    "قذر",
    "حيوان",
    "زبالة",
    "خنزير",
    "منيك",
    "شرموط",
    "شرموطة",
    "قحبة",
    "زامل",
    "بغل",
}

_ARABIC_DIACRITICS = re.compile(r"[\u064B-\u065F\u0670\u0640]")
_WORD = re.compile(r"\w+", re.UNICODE)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch) or "\u0600" <= ch <= "\u06ff")
    text = _ARABIC_DIACRITICS.sub("", text)
    return text.lower()


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in text)


def screen_text(text: str, extra_words: set[str] | None = None) -> list[str]:
    """Reasons to hold text for a facilitator: any of "insult", "phone", "email"."""
    flags = []
    normalised = _normalise(text)
    words = set(_WORD.findall(normalised))
    # Arabic words often carry an attached article or conjunction: "الغبي", "وغبي".
    stripped = {w[2:] for w in words if w.startswith("ال")} | {w[1:] for w in words if w[:1] in "وفب"}
    vocabulary = INSULTS | (extra_words or set())
    if (words | stripped) & vocabulary:
        flags.append("insult")
    if PHONE.search(_ascii_digits(text)):
        flags.append("phone")
    if EMAIL.search(text):
        flags.append("email")
    return flags


def fold(text: str) -> str:
    """text reduced to what two writings of the same words share, for comparing texts (not for display)."""
    return " ".join(_WORD.findall(_normalise(text)))


def likely_duplicates(text: str, others: "list[tuple[int, str]]", limit: int = 3) -> list[tuple[int, float]]:
    """The ids of others (id, text) that likely say the same as text, most similar first, with a score in 0..1."""
    mine = set(fold(text).split())
    if not mine:
        return []
    scored = []
    for pk, other in others:
        theirs = set(fold(other).split())
        if theirs:
            score = len(mine & theirs) / len(mine | theirs)
            if score >= 0.3:
                scored.append((pk, round(score, 3)))
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored[:limit]
