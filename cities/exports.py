"""Pluggable exports: exporters declare identifier, name, permission and formats; one piece renders tables.

An exporter subclasses ``BaseExporter``, is decorated with ``@register`` and implements
``tables(target, options)`` yielding ``(title, DataFrame-or-list-of-dicts)`` or ``(title, rows, Chart(...))``.
The target is a ``City`` (``scope = "city"``) or a ``Network`` (``scope = "network"``). ``render(exporter, ...)``
turns the tables into CSV (tables one after another, each preceded by a title row), XLSX (one sheet per table,
right-to-left in Arabic), JSON, a printable HTML report (charts drawn here as inline SVG, no script) or a PDF of
that report printed by headless Chromium. An exporter whose database can write the CSV rows itself may also offer
``csv_tables(target, options)`` (``CsvTable``), which ``render`` then writes instead of going through pandas.

An exporter may also offer the import layout (``layouts``, ``import_table``): one table without a title row, in a
file another program reads back, such as the council roster that the roster import takes.

Every file a person downloads takes one road through here, whatever the door (a page, the API, ``manage.py
export``): ``export_request`` reads and checks the options, ``run_export`` checks the permission, renders and audits
(``export_audit``), ``export_response`` hands the file over. Every CSV and Excel file of the application is written
here (``render``, and ``table_file``), under one escaping rule against spreadsheet formulas (``escape_cell``,
``csv_text``).

This module knows none of the other apps. Figures that several apps contribute to (the network key figures)
come from providers the apps register with ``@key_figures_provider`` (see cities/exporters.py).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.db.models import Case, F, TextField, Value, When
from django.db.models.functions import Concat, NullIf
from django.db.models.lookups import Regex
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .errors import DomainError

logger = logging.getLogger(__name__)

SMALL_CELL = 5
SMALL = f"<{SMALL_CELL}"  # a count under SMALL_CELL (zero included)
HIDDEN = "*"  # a count hidden so that a small one cannot be worked out from the totals
TABLE_FORMATS = ("csv", "xlsx", "json")
REPORT_FORMATS = ("html", "pdf")
FORMATS = TABLE_FORMATS  # what an exporter offers unless it says otherwise
ALL_FORMATS = TABLE_FORMATS + REPORT_FORMATS
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}
# The import layout: one table without a title row, in a file another program reads back (the council roster).
TABLES, IMPORT = "tables", "import"
IMPORT_FORMATS = ("csv", "xlsx")
REPORT_TEMPLATE = "cities/exports/report.html"
REPORT_CSS = "cities/report.css"
# Headless Chromium as root on a server without a screen or outside network: no sandbox (root), no GPU, and none of
# its background connections (refused on a closed network, many at a time). The browser tests start it the same way.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PDF_TIMEOUT_SECONDS = 120

# The one escaping rule of every CSV and Excel file the application writes (docs/exports.md, "Spreadsheet formulas").
# A spreadsheet program may read a cell as a formula when its first visible character is a formula sign, and it may
# pass over spaces, line breaks and invisible marks (Arabic and bidi marks, zero-width characters) before it, or read
# a fullwidth or small sign as the sign itself. So: a text cell starting with a tab or a carriage return, or whose
# first character after any run of _LEADING characters (every Unicode space, control and format character) is one of
# _FORMULA_SIGNS (=, +, -, @ and every character that NFKC normalises to one of them), is written with a ' in front.
# The pattern is written with \u escapes only, so that Python's re and PostgreSQL's regular expressions (csv_text)
# read the same pattern; tests/exports/test_escaping.py checks both sets against unicodedata.
_LEADING = (
    (0x0001, 0x0020),
    (0x007F, 0x00A0),
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x1680, 0x1680),
    (0x180E, 0x180E),
    (0x2000, 0x200F),
    (0x2028, 0x202F),
    (0x205F, 0x2064),
    (0x2066, 0x206F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
_FORMULA_SIGNS = "=+-@\u207a\u207c\u208a\u208c\u2a75\u2a76\ufb29\ufe62\ufe63\ufe66\ufe6b\uff0b\uff0d\uff1d\uff20"


def _escaped(code: int) -> str:
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _class(ranges) -> str:
    return "".join(_escaped(a) if a == b else f"{_escaped(a)}-{_escaped(b)}" for a, b in ranges)


FORMULA_PATTERN = f"^(?:[\\u0009\\u000d]|[{_class(_LEADING)}]*[{''.join(_escaped(ord(c)) for c in _FORMULA_SIGNS)}])"
_FORMULA_START = re.compile(FORMULA_PATTERN)

REGISTRY: dict[str, type[BaseExporter]] = {}


class ExportError(DomainError, ValueError):
    """An export that cannot run as asked (missing or unknown option, format not offered). The message is
    translated and may be shown to the person who asked; the API answers 400 `invalid_export`."""

    code = "invalid_export"


class ExportNotFound(LookupError):
    """An exporter, city, network or object that does not exist, or that the person may not run. Pages and the API
    answer 404 and say no more; the command line, which runs as the platform, prints the translated message."""

    def __init__(self, message=""):
        self.message = str(message)
        super().__init__(self.message)


class PdfUnavailable(ExportError):
    """This server cannot print PDF now (no Chromium, or it failed): the API answers 503 `pdf_unavailable`."""

    status_code = 503
    code = "pdf_unavailable"

    def __init__(self, detail: str = ""):
        message = _("PDF export is not available on this server: Chromium was not found or could not print.")
        super().__init__(f"{message} {detail}".strip())


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart of a table in the printable report: one bar per row, ``label`` and ``value``
    being column names. Suppressed values (strings such as "<5") get no bar, only their marker."""

    label: str
    value: str
    limit: int = 15
    percent: bool = False


@dataclass
class Table:
    title: str
    frame: pd.DataFrame
    chart: Chart | None = None
    columns: list[tuple[str, str]] = field(default_factory=list)  # (column, translated header) for the report


@dataclass
class CsvTable:
    """A table of the CSV export whose rows are already written, from ``BaseExporter.csv_tables``. ``render`` writes
    the title row and the header (``columns``) as for any table, then ``rows`` as they come: blocks of UTF-8 bytes,
    each row ending with "\\n", quoted as pandas quotes (a field holding a comma, a quote or a line break in double
    quotes, quotes doubled, an empty text and a missing value as an empty field) and with ``escape_cell`` applied to
    text cells (``csv_text`` has both done by PostgreSQL's COPY)."""

    title: str
    columns: list[str]
    rows: Iterable[bytes | memoryview]


class BaseExporter:
    """Extension point. Subclasses set:

    - ``identifier`` (stable, used in URLs, the API and the command line) and ``verbose_name`` (translated);
    - ``permission``: a predicate ``(user, target) -> bool`` (target is a City, or a Network for network scope);
    - ``formats``: the formats offered (``FORMATS`` by default; add ``REPORT_FORMATS`` for the printable report);
    - ``scope``: ``"city"`` or ``"network"``; ``options``: the option names it needs ("consultation", "term",
      "call") and ``required_options`` those it cannot run without; ``labels``: translated column headers;

    and implement ``tables(target, options)``. A missing or unknown option raises ``ExportError``. An exporter may
    also implement ``csv_tables(target, options)``, a faster way to the same CSV file.
    """

    identifier: str = ""
    verbose_name = ""
    description = ""
    permission: Callable = staticmethod(lambda user, target: False)
    formats: tuple[str, ...] = FORMATS
    scope = "city"
    options: tuple[str, ...] = ()
    required_options: tuple[str, ...] = ()
    labels: dict = {}
    report_hidden: frozenset = frozenset()  # columns left out of the printable report (codes for machines)
    layouts: tuple[str, ...] = (TABLES,)  # add IMPORT with import_table()
    # option name -> (manager or queryset, lookup of the city id): how the API and the command line find the city
    # of an object an option names, e.g. {"consultation": (Consultation.objects, "city_id")}.
    option_sources: dict = {}

    def tables(self, target, options: dict) -> Iterable[tuple]:
        raise NotImplementedError

    def csv_tables(self, target, options: dict) -> list[CsvTable] | None:
        """Optional, for speed: the tables of the CSV export with their rows already written (``CsvTable``), e.g. by
        the database, skipping pandas. The file ``render`` makes of them must be byte for byte the one it makes of
        ``tables()``. None, the default, means "no faster way here": ``render`` uses ``tables()``. Called, like
        ``tables()``, with the export's language active; raises ``ExportError`` as ``tables()`` would."""
        return None

    def import_table(self, target, options: dict) -> Table | None:
        """Optional, for exporters whose ``layouts`` include ``IMPORT``: the one table of a file another program reads
        back (an import), as a ``Table`` whose title names the sheet. ``render(..., layout=IMPORT)`` writes it as CSV
        or Excel without a title row (``table_file``), under the same escaping rule. Raises ``ExportError`` as
        ``tables()`` would."""
        return None

    def subject(self, target, options: dict) -> str:
        """What the report is about (shown under its title)."""
        return str(target)

    @classmethod
    def allowed(cls, user, target) -> bool:
        return bool(cls.permission(user, target))

    @classmethod
    def city_id_for(cls, options: dict) -> int | None:
        """The id of the city owning the first object the options name, or None."""
        for name, (queryset, lookup) in cls.option_sources.items():
            if options.get(name) in (None, ""):
                continue
            try:
                pk = int(options[name])
            except (TypeError, ValueError):
                return None
            return queryset.filter(pk=pk).values_list(lookup, flat=True).first()
        return None


def register(cls: type[BaseExporter]) -> type[BaseExporter]:
    """Class decorator adding an exporter to the registry under its identifier."""
    REGISTRY[cls.identifier] = cls
    return cls


def exporters_for(user, target, *, scope: str = "city") -> list[type[BaseExporter]]:
    return [cls for cls in REGISTRY.values() if cls.scope == scope and cls.allowed(user, target)]


def option_choices(exporter: type[BaseExporter], name: str, city) -> list[tuple[int, str]]:
    """The objects of ``city`` that option ``name`` of ``exporter`` may name (its ``option_sources``), as (id, text)
    for a form's choices."""
    source = exporter.option_sources.get(name)
    if source is None or city is None:
        return []
    queryset, lookup = source
    return [(obj.pk, str(obj)) for obj in queryset.filter(**{lookup: city.pk})]


def option_object(queryset, options: dict, name: str):
    """The object of queryset whose pk is options[name]; ExportError when the option is missing or unknown.
    Callers pass a queryset already scoped to the export's city, so another city's object is "unknown"."""
    value = options.get(name)
    if value in (None, ""):
        raise ExportError(_("This export needs the option “%(name)s”.") % {"name": name})
    try:
        return queryset.get(pk=int(value))
    except (ValueError, TypeError, queryset.model.DoesNotExist):
        raise ExportError(_("Unknown %(name)s: %(value)s.") % {"name": name, "value": value}) from None


# --- privacy --------------------------------------------------------------------------------------------------


def formula_risk(value) -> bool:
    """True if a spreadsheet program might read ``value`` as a formula (the rule above _FORMULA_START)."""
    return isinstance(value, str) and _FORMULA_START.match(value) is not None


def escape_cell(value):
    """The one escaping rule of CSV and Excel cells: a text a spreadsheet might read as a formula (formula_risk) gets a
    single quote in front, so that it is shown as text; anything else is returned unchanged."""
    return "'" + value if formula_risk(value) else value


def unescape_cell(value):
    """The inverse of escape_cell, for files we read back (the roster import): a text that escape_cell wrote."""
    if isinstance(value, str) and value.startswith("'") and formula_risk(value[1:]):
        return value[1:]
    return value


def _map_text(frame: pd.DataFrame, change: Callable[[str], str]) -> pd.DataFrame:
    """``frame`` with ``change`` applied to its text cells, or ``frame`` itself when nothing changes. A column's
    distinct values are few (kinds, genders, districts), so each is tried once and the changed ones replaced in one
    vectorised pass; numbers, dates and booleans are left alone."""
    changed = None
    for name in frame.columns:
        column = frame[name]
        if column.dtype != object and not pd.api.types.is_string_dtype(column.dtype):
            continue
        _codes, distinct = pd.factorize(column)
        replacements = {v: change(v) for v in distinct if isinstance(v, str) and change(v) != v}
        if not replacements:
            continue
        hit = column.isin(list(replacements))
        changed = frame.copy() if changed is None else changed
        changed[name] = column.where(~hit, column[hit].map(replacements))
    return frame if changed is None else changed


def _any_text(frame: pd.DataFrame, test: Callable[[str], bool]) -> bool:
    """True if ``test`` holds for some text cell of ``frame`` (each distinct value of a column tried once)."""
    for name in frame.columns:
        column = frame[name]
        if column.dtype != object and not pd.api.types.is_string_dtype(column.dtype):
            continue
        if any(isinstance(v, str) and test(v) for v in pd.unique(column)):
            return True
    return False


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """escape_cell on a whole table, its column headers included."""
    escaped = _map_text(frame, escape_cell)
    if any(formula_risk(name) for name in escaped.columns):
        escaped = escaped.rename(columns=escape_cell)
    return escaped


def csv_text(column) -> NullIf:
    """The text ``column`` (a field path or an expression) as ``render`` writes it in a CSV cell, computed by the
    database for rows written with ``COPY … (FORMAT csv)`` (``CsvTable``): escape_cell's rule, the same
    FORMULA_PATTERN matched by the database's regular expressions, and an empty text as NULL, because PostgreSQL
    quotes an empty string (to tell it from NULL) where pandas writes an empty field for both."""
    text = F(column) if isinstance(column, str) else column
    risky = Regex(text, Value(FORMULA_PATTERN, output_field=TextField()))
    quoted = Concat(Value("'"), text, output_field=TextField())
    escaped = Case(When(risky, then=quoted), default=text, output_field=TextField())
    return NullIf(escaped, Value("", output_field=TextField()))


def _pinned(values: list[int], threshold: int) -> bool:
    """True if, with only the total of ``values`` known and each one between 0 and threshold-1, some non-zero
    value can only be one number (one hidden cell, or hidden cells that must all be threshold-1)."""
    top = threshold - 1
    total, k = sum(values), len(values)
    return any(v and max(0, total - top * (k - 1)) == min(top, total) for v in values)


def suppress_counts(cells: dict, *, threshold: int = SMALL_CELL) -> dict:
    """Pure. Hide the counts of a breakdown whose total is published, so that no count of 1 to threshold-1
    people is shown or can be worked out from the total and the shown counts (docs/exports.md, "Privacy"):

    - every count under ``threshold``, zero included, is shown as "<threshold";
    - if the hidden counts could still be worked out (a single one, or all threshold-1), the smallest shown count
      is hidden too, as "*" (complementary suppression);
    - if the total is under ``threshold`` × the number of cells, every cell is "*": there may be no count large
      enough to hide, and this test uses only what is published anyway.

    ``cells`` must list every category, empty ones included (a category left out would tell it is empty).
    A breakdown with a single cell cannot be protected: its caller must not publish the total.
    """
    if not cells:
        return {}
    total = sum(cells.values())
    if total < threshold * len(cells):
        return dict.fromkeys(cells, HIDDEN)
    shown: dict = {k: (SMALL if v < threshold else v) for k, v in cells.items()}
    small = [v for v in cells.values() if v < threshold]
    if small and _pinned(small, threshold):
        visible = sorted((v, str(k), k) for k, v in cells.items() if v >= threshold)
        shown[visible[0][2]] = HIDDEN  # exists: the total is at least threshold × cells
    return shown


def is_suppressed(value) -> bool:
    return value in (SMALL, HIDDEN)


# --- rendering ------------------------------------------------------------------------------------------------


def _frame(table) -> pd.DataFrame:
    return table if isinstance(table, pd.DataFrame) else pd.DataFrame(list(table))


def collect(exporter: BaseExporter, target, options: dict) -> list[Table]:
    tables = []
    for entry in exporter.tables(target, options):
        title, rows, chart = (*entry, None)[:3]
        frame = _frame(rows)
        columns = [(c, str(exporter.labels.get(c, c))) for c in frame.columns if c not in exporter.report_hidden]
        tables.append(Table(str(title), frame, chart, columns))
    return tables


def formats_of(exporter: type[BaseExporter] | BaseExporter, layout: str = TABLES) -> tuple[str, ...]:
    """The formats ``exporter`` offers in ``layout``: its ``formats`` for its tables, CSV and Excel for the import
    layout of an exporter that has one, none otherwise."""
    if layout not in exporter.layouts:
        return ()
    return exporter.formats if layout == TABLES else tuple(f for f in IMPORT_FORMATS if f in exporter.formats)


def _check_format(exporter, fmt: str, layout: str) -> None:
    if layout not in exporter.layouts:
        raise ExportError(_("This export has no file in the import's layout."))
    if fmt not in formats_of(exporter, layout):
        raise ExportError(_("This export is not offered as %(format)s.") % {"format": fmt})


def render(
    exporter: BaseExporter, target, options: dict, fmt: str, *, language: str = "en", layout: str = TABLES
) -> tuple[bytes, str]:
    """Render every table of ``exporter`` for ``target`` in ``fmt``; returns (content, content type). In the import
    layout (``layout=IMPORT``), the one table of ``exporter.import_table`` as CSV or Excel without a title row.

    Raises ``ExportError`` for a format or layout the exporter does not offer or a missing option,
    ``PdfUnavailable`` when Chromium cannot print. Headers and labels are in ``language``.
    """
    _check_format(exporter, fmt, layout)
    with translation.override(language):
        if layout == IMPORT:
            table = exporter.import_table(target, options)
            if table is None:
                raise ExportError(_("This export has no file in the import's layout."))
            content = table_file(table.frame, fmt, sheet_name=table.title, language=language)
            return content, CONTENT_TYPES[fmt]
        if fmt == "csv" and (written := exporter.csv_tables(target, options)) is not None:
            return _csv_written(written), CONTENT_TYPES[fmt]
        tables = collect(exporter, target, options)
        if fmt == "json":
            data = {t.title: json.loads(t.frame.to_json(orient="records", force_ascii=False)) for t in tables}
            return json.dumps(data, ensure_ascii=False).encode(), CONTENT_TYPES[fmt]
        if fmt == "csv":
            return _csv(tables), CONTENT_TYPES[fmt]
        if fmt == "xlsx":
            return _xlsx(tables, language), CONTENT_TYPES[fmt]
        html = report_html(exporter, target, options, tables=tables, language=language, inline_css=True)
        if fmt == "html":
            return html.encode(), CONTENT_TYPES[fmt]
        return html_to_pdf(html), CONTENT_TYPES[fmt]


# The shared writer: every CSV and Excel file the application makes is written by the functions below (render's
# tables, and table_file for a file of one table such as the council roster), so every cell goes through escape_cell.


def _csv_table(out: io.StringIO, frame: pd.DataFrame) -> None:
    frame = escape_frame(frame)
    if not _any_text(frame, lambda text: "\r" in text):
        frame.to_csv(out, index=False)
        return
    # The csv module under pandas (before CPython gh-67044, e.g. 3.11.7) leaves a text holding a carriage return but
    # no line feed unquoted, and a spreadsheet program starts a new row at that carriage return, where "=1+1" would
    # then start a cell. Written with "\r\n" line ends the module quotes it (as PostgreSQL's COPY does); the line ends
    # outside quotes (the ends of rows) are then turned back into "\n".
    written = frame.to_csv(index=False, lineterminator="\r\n")
    parts = written.split('"')
    out.write('"'.join(part.replace("\r\n", "\n") if i % 2 == 0 else part for i, part in enumerate(parts)))


def _xlsx_sheet(writer: pd.ExcelWriter, name: str, frame: pd.DataFrame, language: str) -> None:
    frame = frame if len(frame.columns) else pd.DataFrame({"": []})
    # Control characters that XML cannot hold (openpyxl refuses them) are dropped rather than failing the export.
    _map_text(escape_frame(frame), lambda text: ILLEGAL_CHARACTERS_RE.sub("", text)).to_excel(
        writer, sheet_name=name, index=False
    )
    if language == "ar":
        writer.sheets[name].sheet_view.rightToLeft = True


def table_file(rows, fmt: str, *, columns: list[str] | None = None, sheet_name: str = "Sheet1", language: str = "en"):
    """One table (a DataFrame, or dicts with ``columns`` as keys) as a file without a title row: CSV (UTF-8 with a
    BOM, for spreadsheet programs) or an .xlsx workbook of one sheet, written by the shared writer (escape_cell on
    every cell). For files that other programs read back, such as the roster in the import's format."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows), columns=columns)
    if fmt == "csv":
        out = io.StringIO()
        _csv_table(out, frame)
        return out.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as writer:
            _xlsx_sheet(writer, sheet_name, frame, language)
        return buf.getvalue()
    raise ExportError(_("This export is not offered as %(format)s.") % {"format": fmt})


def _csv_title(title) -> str:
    """The title row of a table in a CSV file: one cell, escaped, quoted when it holds a comma, a quote or a line
    break (a title that names an object could hold any text)."""
    text = str(escape_cell(str(title)))
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text + "\n"


def _csv(tables: list[Table]) -> bytes:
    out = io.StringIO()
    for t in tables:
        out.write(_csv_title(t.title))
        _csv_table(out, t.frame)
        out.write("\n")
    return out.getvalue().encode("utf-8-sig")


def _csv_written(tables: list[CsvTable]) -> bytes:
    """The file _csv makes, from tables whose rows are already CSV (escaped by csv_text): title row, header (written
    by the csv module, as pandas writes it), the rows as they come, a blank line; UTF-8 with a BOM."""
    out = io.BytesIO()
    out.write(codecs.BOM_UTF8)
    for t in tables:
        head = io.StringIO()
        head.write(_csv_title(t.title))
        csv.writer(head, lineterminator="\n").writerow([escape_cell(c) for c in t.columns])
        out.write(head.getvalue().encode())
        for block in t.rows:
            out.write(block)
        out.write(b"\n")
    return out.getvalue()


def _xlsx(tables: list[Table], language: str) -> bytes:
    buf = io.BytesIO()
    used: set[str] = set()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for i, t in enumerate(tables):
            name = t.title
            for ch in "[]:*?/\\":
                name = name.replace(ch, " ")
            name = name[:28].strip() or "sheet"
            if name.lower() in used:
                name = f"{name[:26]} {i}"
            used.add(name.lower())
            _xlsx_sheet(writer, name, t.frame, language)
    return buf.getvalue()


# --- the printable report -------------------------------------------------------------------------------------

_CHART_WIDTH = 640
_LABEL_WIDTH = 220
_VALUE_WIDTH = 60
_ROW = 24


def bar_chart_svg(pairs: list[tuple[str, object]], *, rtl: bool = False, percent: bool = False, title: str = ""):
    """An accessible horizontal bar chart as inline SVG markup (no script, no style attribute: colours come from
    classes in exports.css). ``pairs`` are (label, value); a string value (a suppressed count) gets no bar."""
    numbers = [v for _label, v in pairs if isinstance(v, int | float) and not isinstance(v, bool)]
    top = max(numbers, default=0) or 1
    bar_space = _CHART_WIDTH - _LABEL_WIDTH - _VALUE_WIDTH
    height = _ROW * len(pairs) + 4
    rows = []
    for i, (label, value) in enumerate(pairs):
        y = i * _ROW + 2
        text = str(label)
        text = text if len(text) <= 34 else text[:33] + "…"
        has_bar = isinstance(value, int | float) and not isinstance(value, bool)
        width = round(bar_space * float(value) / top, 1) if has_bar else 0
        shown = (f"{float(value):.0f}%" if percent else f"{value:g}") if has_bar else str(value)
        if rtl:
            shown = f"\u2066{shown}\u2069"  # isolate left-to-right, so that "<5" does not read "5>"
        if rtl:
            label_x, label_anchor = _CHART_WIDTH - 4, "start"
            bar_x = _CHART_WIDTH - _LABEL_WIDTH - width
            value_x, value_anchor = bar_x - 4, "end"
        else:
            label_x, label_anchor = _LABEL_WIDTH - 6, "end"
            bar_x = _LABEL_WIDTH
            value_x, value_anchor = bar_x + width + 4, "start"
        rows.append(
            format_html(
                '<text class="chart-label" x="{}" y="{}" text-anchor="{}">{}</text>'
                '<rect class="{}" x="{}" y="{}" width="{}" height="{}"></rect>'
                '<text class="chart-value" x="{}" y="{}" text-anchor="{}" direction="ltr">{}</text>',
                label_x,
                y + 16,
                label_anchor,
                text,
                "chart-bar" if has_bar else "chart-bar chart-bar-hidden",
                bar_x,
                y + 3,
                width,
                _ROW - 6,
                value_x,
                y + 16,
                value_anchor,
                shown,
            )
        )
    return format_html(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {} {}" width="{}" '
        'height="{}"{}><title>{}</title>{}</svg>',
        _CHART_WIDTH,
        height,
        _CHART_WIDTH,
        height,
        format_html(' direction="{}"', "rtl") if rtl else "",
        title,
        format_html_join("", "{}", ((row,) for row in rows)),
    )


def _report_css() -> str:
    from django.contrib.staticfiles import finders

    path = finders.find(REPORT_CSS)
    return Path(path).read_text(encoding="utf-8") if path else ""


def report_context(exporter: BaseExporter, target, options: dict, *, tables: list[Table], language: str) -> dict:
    rtl = translation.get_language_bidi()
    sections = []
    for t in tables:
        records = t.frame.to_dict(orient="records")
        chart = None
        if t.chart and records:
            pairs = [(r.get(t.chart.label, ""), r.get(t.chart.value, "")) for r in records[: t.chart.limit]]
            chart = bar_chart_svg(pairs, rtl=rtl, percent=t.chart.percent, title=t.title)
        header = [label for _column, label in t.columns]
        rows = [[r.get(column, "") for column, _label in t.columns] for r in records]
        sections.append(
            {
                "title": t.title,
                "chart": chart,
                "header": header,
                "rows": rows,
                "pairs": list(zip(header, rows[0], strict=True)) if len(rows) == 1 else None,
            }
        )
    return {
        "exporter": exporter,
        "subject": exporter.subject(target, options),
        "target": target,
        "sections": sections,
        "generated_at": timezone.localtime(),
        "language": language,
        "rtl": rtl,
        "small_marker": SMALL,
        "hidden_marker": HIDDEN,
        "threshold": SMALL_CELL,
    }


def report_html(
    exporter: BaseExporter,
    target,
    options: dict,
    *,
    language: str,
    tables: list[Table] | None = None,
    inline_css: bool = True,
    extra: dict | None = None,
    template: str = REPORT_TEMPLATE,
) -> str:
    """The printable report as one HTML document. ``inline_css`` embeds the stylesheet (a file given to Chromium or
    downloaded); otherwise it links /static/ (the page served under the site's Content-Security-Policy). A site that
    serves the report as a page may give its own ``template`` extending REPORT_TEMPLATE (its blocks ``head``,
    ``actions`` and ``scripts``), with ``extra`` context."""
    from django.template.loader import render_to_string

    with translation.override(language):
        if tables is None:
            tables = collect(exporter, target, options)
        context = report_context(exporter, target, options, tables=tables, language=language)
        # A file (download, or given to Chromium) carries its stylesheet; it is our own static file, and such a
        # file is never served under the site's Content-Security-Policy. The page served by the site links it.
        inline = format_html("<style>{}</style>", mark_safe(_report_css())) if inline_css else ""  # noqa: S308
        context.update({"inline_css": inline_css, "inline_style": inline})
        context.update(extra or {})
        return render_to_string(template, context)


def chromium_path() -> str | None:
    """Chromium for PDF printing: settings.MAJLIS_CHROMIUM or $MAJLIS_CHROMIUM, else the Debian package's binary."""
    configured = getattr(settings, "MAJLIS_CHROMIUM", None) or os.environ.get("MAJLIS_CHROMIUM")
    candidates = [configured] if configured else ["/usr/bin/chromium", shutil.which("chromium") or ""]
    return next((c for c in candidates if c and os.path.isfile(c) and os.access(c, os.X_OK)), None)


def html_to_pdf(html: str) -> bytes:
    """Print an HTML document to PDF with headless Chromium (a fresh profile, no network). PdfUnavailable when
    Chromium is absent, fails or takes longer than PDF_TIMEOUT_SECONDS."""
    binary = chromium_path()
    if binary is None:
        raise PdfUnavailable
    with tempfile.TemporaryDirectory(prefix="majlis-pdf-") as tmp:
        source, target = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        source.write_text(html, encoding="utf-8")
        command = [
            binary,
            "--headless",
            *CHROMIUM_FLAGS,
            "--disable-extensions",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        env = {**os.environ, "HOME": tmp}
        try:
            subprocess.run(command, capture_output=True, timeout=PDF_TIMEOUT_SECONDS, check=False, env=env)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfUnavailable(str(exc)) from None
        if not target.exists() or target.stat().st_size == 0:
            raise PdfUnavailable
        return target.read_bytes()


# --- figures across apps ----------------------------------------------------------------------------------------

KEY_FIGURES: list[Callable[[list[int]], dict[int, dict]]] = []


def key_figures_provider(func: Callable[[list[int]], dict[int, dict]]):
    """Register ``func(city_ids) -> {city_id: {column: number}}``: an app's contribution to the network key
    figures (aggregated in the database, never per individual)."""
    KEY_FIGURES.append(func)
    return func


# --- one request from every door: pages, API, command line --------------------------------------------------


@dataclass(frozen=True)
class ExportRequest:
    """An export asked for and checked (``export_request``): the exporter, its target (a city, or a network for
    network exporters), format, language, layout and the options, ready to run (``run``)."""

    exporter: type[BaseExporter]
    fmt: str
    language: str
    options: dict
    city: object = None
    network: object = None
    layout: str = TABLES

    @property
    def identifier(self) -> str:
        return self.exporter.identifier

    @property
    def target(self):
        return self.network if self.exporter.scope == "network" else self.city

    def run(self, *, actor, channel: str) -> tuple[bytes, str]:
        """Render and audit (``run_export``); (content, content type)."""
        return run_export(
            identifier=self.identifier,
            city=self.city,
            network=self.network,
            fmt=self.fmt,
            options=self.options,
            actor=actor,
            channel=channel,
            language=self.language,
            layout=self.layout,
        )

    def filename(self) -> str:
        return export_filename(self.identifier, self.fmt, self.target)


def _quoted(name: str) -> str:
    return f"“{name}”"


def _option_value(value):
    """An object's id as an int; a text of digits as its int; anything else (a word, a list) as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    return int(text) if text.isdecimal() and text.isascii() else text


def export_request(
    identifier: str,
    values: Mapping,
    *,
    user=None,
    city=None,
    network=None,
    layout: str = TABLES,
    spell: Callable[[str], str] = _quoted,
) -> ExportRequest:
    """Turn raw values, as a form, a JSON body or the command line give them, into a checked ``ExportRequest``: the
    one place where the export's options are read. ``values`` may hold ``format`` (default CSV), ``language`` (a
    code of settings.LANGUAGES, default settings.LANGUAGE_CODE), the options the exporter takes (``consultation``,
    ``term``, ``call``: ids), ``city`` and ``network`` (slugs). A page passes the ``city`` or ``network`` of its URL,
    which its own access check gave. ``user`` is the person asking (only their cities and networks are found, and the
    exporter must allow them); None is the platform (the command line): every city and network. ``spell`` names an
    option in the messages as the caller's people write it (``--consultation`` on the command line).

    Raises ``ExportNotFound`` for an unknown exporter, a target that cannot be found or that the user may not export;
    ``ExportError`` (translated) for a format, layout or language not offered, an option that names nothing in the
    target city, or a required option missing.
    """
    from cities.models import City, Network
    from cities.permissions import cities_for_user, networks_for_admin

    cls = REGISTRY.get(str(identifier))
    if cls is None:
        known = {"identifier": _quoted(str(identifier)), "known": ", ".join(sorted(REGISTRY))}
        raise ExportNotFound(_("Unknown exporter %(identifier)s. Known: %(known)s.") % known)
    if (city is not None and cls.scope == "network") or (network is not None and cls.scope != "network"):
        raise ExportNotFound(cls.identifier)  # a city's page does not run a network's export, nor the reverse
    given = {name: _option_value(values[name]) for name in cls.options if values.get(name) is not None}
    options = {name: value for name, value in given.items() if value != ""}
    if cls.scope == "network":
        if network is None:
            networks = Network.objects.all() if user is None else networks_for_admin(user)
            network = networks.filter(slug=str(values.get("network") or "")).first()
        if network is None:
            raise ExportNotFound(
                _("%(exporter)s needs %(network)s of an existing network.")
                % {"exporter": cls.identifier, "network": f"{spell('network')} <slug>"}
            )
        city, target = None, network
    else:
        cities = City.objects.all() if user is None else cities_for_user(user)
        if city is None and values.get("city") not in (None, ""):
            city = cities.filter(slug=str(values["city"])).first()
            if city is None:
                raise ExportNotFound(_("No city %(slug)s.") % {"slug": _quoted(str(values["city"]))})
        if city is None:
            named = {k: v for k, v in options.items() if isinstance(v, int)}
            city_id = cls.city_id_for(named)
            city = cities.filter(pk=city_id).first() if city_id else None
        if city is None:
            names = ", ".join(spell(name) for name in cls.option_sources)
            raise ExportNotFound(
                _("%(exporter)s needs %(options)s (an existing one) or %(city)s.")
                % {"exporter": cls.identifier, "options": names or spell("city"), "city": f"{spell('city')} <slug>"}
            )
        network, target = None, city
    if user is not None and not cls.allowed(user, target):
        raise ExportNotFound(cls.identifier)
    fmt = str(values.get("format") or "csv")
    _check_format(cls, fmt, layout)
    language = str(values.get("language") or settings.LANGUAGE_CODE)
    if language not in dict(settings.LANGUAGES):
        raise ExportError(_("Unknown language: %(value)s.") % {"value": language})
    for name, value in options.items():
        source = cls.option_sources.get(name)
        found = isinstance(value, int) and (
            source is None or source[0].filter(pk=value, **{source[1]: city.pk}).exists()
        )
        if not found:
            raise ExportError(_("Unknown %(name)s: %(value)s.") % {"name": name, "value": value})
    for name in cls.required_options:
        if name not in options:
            raise ExportError(_("This export needs the option “%(name)s”.") % {"name": name})
    if network is not None:
        options["network"] = network.slug
    return ExportRequest(cls, fmt, language, options, city=city, network=network, layout=layout)


def export_audit(*, exporter: str, fmt: str, options: dict, actor, channel: str, city=None) -> None:
    """The one record of an export: an ``ExportLog`` (who — None for the command line —, the city — none for network
    exports —, exporter, format, options, channel web/api/cli, time). Called once per export that ran, by
    ``run_export`` and ``report_page_html``; never for one that failed."""
    from cities.models import ExportLog

    ExportLog.objects.create(actor=actor, city=city, exporter=exporter, format=fmt, options=options, channel=channel)


def run_export(
    *,
    identifier: str,
    city=None,
    fmt: str,
    options: dict,
    actor=None,
    channel: str,
    language: str = "en",
    network=None,
    layout: str = TABLES,
):
    """Check the permission (the command line, ``channel="cli"`` with no actor, runs as the platform), render, audit.

    The target is ``city`` for city exporters and ``network`` for network exporters. Errors: ``LookupError``
    for an unknown exporter, a missing target or one the actor may not run (callers answer 404);
    ``ExportError`` (a ``ValueError``) for a format the exporter does not offer or a bad option;
    ``PdfUnavailable`` (an ``ExportError``) when the PDF cannot be printed. Nothing is logged on error.
    """
    cls = REGISTRY.get(identifier)
    target = network if cls is not None and cls.scope == "network" else city
    if cls is None or target is None or (channel != "cli" and not cls.allowed(actor, target)):
        raise ExportNotFound(identifier)
    content, content_type = render(cls(), target, options, fmt, language=language, layout=layout)
    export_audit(
        exporter=identifier,
        fmt=fmt,
        options=options,
        actor=actor,
        channel=channel,
        city=city if cls.scope == "city" else None,
    )
    return content, content_type


def report_page_html(export: ExportRequest, *, actor, template: str, extra: dict) -> str:
    """The printable report of ``export`` as a page of the site (``template`` extends REPORT_TEMPLATE; stylesheet
    linked, not embedded), audited as an export in format html on the web."""
    html = report_html(
        export.exporter(),
        export.target,
        export.options,
        language=export.language,
        inline_css=False,
        extra=extra,
        template=template,
    )
    export_audit(
        exporter=export.identifier, fmt="html", options=export.options, actor=actor, channel="web", city=export.city
    )
    return html


def export_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    """The answer that hands a finished export to the browser or API client as a file (an attachment)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Translated names of the formats, for pages and errors.
FORMAT_NAMES = {
    "csv": gettext_lazy("CSV"),
    "xlsx": gettext_lazy("Excel (.xlsx)"),
    "json": gettext_lazy("JSON"),
    "html": gettext_lazy("Printable report (HTML)"),
    "pdf": gettext_lazy("Printable report (PDF)"),
}


# --- download links -------------------------------------------------------------------------------------------

EXPORT_LINK_SECONDS = 600
_LINK_KEY = "majlis:export-link:{}"
_LINK_GENERATION_KEY = "majlis:export-links-of-city:{}"


def export_links_generation(city) -> str:
    """The current generation of ``city``'s download links: a random value, replaced by ``export_links_revoke``.
    Read it before running an export and give it to ``export_link_store``."""
    from django.core.cache import cache

    key = _LINK_GENERATION_KEY.format(city.pk)
    cache.add(key, secrets.token_hex(8), timeout=None)
    return cache.get(key) or ""


def export_links_revoke(*, city_id: int) -> None:
    """Every download link of the city's exports made so far stops serving its file (``export_link_fetch`` answers
    None): called when a person's data is erased (councils.services.person_erase), since a file made before the
    erasure may hold them. A generation missing from the cache (evicted, flushed) also refuses every link."""
    from django.core.cache import cache

    cache.set(_LINK_GENERATION_KEY.format(city_id), secrets.token_hex(8), timeout=None)


def export_links_revoke_on_commit(*, city_id: int) -> None:
    """export_links_revoke once the current transaction commits. The erasure has revoked the links inside its
    transaction already; if the cache is unreachable at this second revocation, a warning is logged and the erasure
    stands (a link can only be served from that same cache, which refuses it once its generation is gone)."""
    from django.db import transaction

    def revoke() -> None:
        try:
            export_links_revoke(city_id=city_id)
        except Exception:  # the cache backend's own errors (Redis down): nothing more can be done from here
            logger.warning("could not revoke the download links of city %s after an erasure", city_id, exc_info=True)

    transaction.on_commit(revoke)


def export_link_store(
    *, content: bytes, content_type: str, filename: str, user, city=None, generation: str | None = None
) -> str:
    """Keep a finished export for its owner and return the token of its download link. The file lives in the
    cache (Redis when configured) for EXPORT_LINK_SECONDS, then is gone; only ``user``'s signed-in session may
    fetch it (``export_link_fetch``). The token is random, not derived from anything. A city's export carries the
    city's link generation read *before* the export ran (``generation``, else read now), so that an erasure
    committed while it ran also revokes it."""
    from django.core.cache import cache

    token = secrets.token_urlsafe(24)
    record = {
        "user": user.pk,
        "content": content,
        "content_type": content_type,
        "filename": filename,
        "expires": time.time() + EXPORT_LINK_SECONDS,
        "city": city.pk if city is not None else None,
        "generation": (generation if generation is not None else export_links_generation(city)) if city else None,
    }
    cache.set(_LINK_KEY.format(token), record, timeout=EXPORT_LINK_SECONDS)
    return token


def export_link_fetch(token: str, user) -> dict | None:
    """The stored export of token if it belongs to ``user``, has not expired and, for a city's export, was made after
    the city's last erasure (``export_links_revoke``); None otherwise."""
    from django.core.cache import cache

    if not token or len(token) > 64 or not getattr(user, "is_authenticated", False):
        return None
    record = cache.get(_LINK_KEY.format(token))
    if not record or record.get("user") != user.pk or record.get("expires", 0) < time.time():
        return None
    if record.get("city") is not None:
        current = cache.get(_LINK_GENERATION_KEY.format(record["city"]))
        if not current or current != record.get("generation"):
            cache.delete(_LINK_KEY.format(token))
            return None
    return record


def export_filename(identifier: str, fmt: str, target) -> str:
    stamp = timezone.localdate().isoformat()
    slug = getattr(target, "slug", "") or "export"
    return f"{identifier}-{slug}-{stamp}.{fmt}"
