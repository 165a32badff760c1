"""The roster file format (CSV and Excel) shared by the import and the export, and its reading.

One row per membership. Headers are stable English keys so a file exported in one language imports in another;
choice cells accept the stored value (``female``) or its label in Arabic, French or English. The file is written by
the export framework (the ``council_roster`` exporter's import layout, councils/exporters.py), so a cell that a
spreadsheet could read as a formula (a name such as ``=HYPERLINK(…)``, a phone number ``+212…``) is written with a
``'`` in front; the import takes that ``'`` off again (``unescape_cell``), so an exported roster imports unchanged.
"""

import io
from datetime import date, datetime

import pandas as pd
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cities.exports import unescape_cell
from cities.models import City
from consultations.models import AgeBand, Gender

from .models import MemberRole, MembershipStatus, SelectionMethod

COLUMNS = [
    "full_name",
    "gender",
    "date_of_birth",
    "age_band",
    "district",
    "organisation",
    "phone",
    "email",
    "role",
    "selection_method",
    "starts_on",
    "ends_on",
    "status",
    "committees",
    "guardian_consent",
    "member_code",
]
REQUIRED = ["full_name", "gender", "district", "role", "selection_method", "starts_on"]
MAX_ROWS = 2000
YES = {"yes", "y", "true", "1", "oui", "نعم", "x"}
NO = {"", "no", "n", "false", "0", "non", "لا"}


class FileProblem(Exception):
    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """Every cell as text (empty cells as ""). Raises FileProblem for an unreadable or unknown file."""
    name = (filename or "").lower()
    try:
        if name.endswith((".xlsx", ".xlsm")):
            frame = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False, engine="openpyxl")
        elif name.endswith(".csv"):
            frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            raise FileProblem(_("Send a .csv or .xlsx file."))
    except FileProblem:
        raise
    except Exception:  # pandas raises many kinds for a broken file; all mean the same to the user
        raise FileProblem(_("This file cannot be read as a table. Save it as CSV (UTF-8) or Excel (.xlsx).")) from None
    frame.columns = [str(unescape_cell(str(c))).strip().lower() for c in frame.columns]
    return frame.fillna("").astype(str).apply(lambda col: col.map(unescape_cell).str.strip())


def choice_lookup(choices) -> dict[str, str]:
    """Cell text (value or label in any shipped language, any case) -> stored value."""
    lookup = {}
    for value, _label in choices.choices:
        lookup[value.lower()] = value
        for language in ("en", "fr", "ar"):
            with translation.override(language):
                lookup[str(choices(value).label).strip().lower()] = value
    return lookup


LOOKUPS = {
    "gender": Gender,
    "age_band": AgeBand,
    "role": MemberRole,
    "selection_method": SelectionMethod,
    "status": MembershipStatus,
}


def parse_choice(text: str, column: str) -> str:
    if not text:
        return ""
    value = choice_lookup(LOOKUPS[column]).get(text.lower())
    if value is None:
        raise FileProblem(_("“%(value)s” is not one of the accepted values.") % {"value": text})
    return value


def parse_date(text: str) -> date | None:
    if not text:
        return None
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise FileProblem(_("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": text})


def parse_yes_no(text: str) -> bool:
    value = (text or "").strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise FileProblem(_("Write yes or no."))


def district_lookup(city: City) -> dict[str, int]:
    lookup = {}
    for district in city.districts.all():
        lookup[district.name.lower()] = district.pk
        if district.name_ar:
            lookup[district.name_ar.lower()] = district.pk
    return lookup
