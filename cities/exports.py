"""Pluggable exports: exporters declare identifier, name, permission and formats; one piece renders tables.

An exporter subclasses ``BaseExporter`` and implements ``tables(city, options)`` yielding
``(title, DataFrame-or-list-of-dicts)``. ``render(exporter, ...)`` turns the tables into CSV (tables one after
another, each preceded by a title row), XLSX (one sheet per table, right-to-left in Arabic) or JSON.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable

import pandas as pd

SMALL_CELL = 5
FORMATS = ("csv", "xlsx", "json")
_INJECTION_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

REGISTRY: dict[str, type[BaseExporter]] = {}


class BaseExporter:
    identifier: str = ""
    verbose_name = ""
    permission: Callable = staticmethod(lambda user, city: False)
    formats: tuple[str, ...] = FORMATS

    def tables(self, city, options: dict) -> Iterable[tuple[str, pd.DataFrame | list[dict]]]:
        raise NotImplementedError

    @classmethod
    def allowed(cls, user, city) -> bool:
        return bool(cls.permission(user, city))


def register(cls: type[BaseExporter]) -> type[BaseExporter]:
    """Class decorator adding an exporter to the registry under its identifier."""
    REGISTRY[cls.identifier] = cls
    return cls


def exporters_for(user, city) -> list[type[BaseExporter]]:
    return [cls for cls in REGISTRY.values() if cls.allowed(user, city)]


def escape_cell(value):
    """Neutralise spreadsheet formula injection: prefix risky strings with a single quote."""
    if isinstance(value, str) and value.startswith(_INJECTION_PREFIXES):
        return "'" + value
    return value


def suppress_counts(cells: dict, *, threshold: int = SMALL_CELL) -> dict:
    """Pure: replace counts under ``threshold`` by "<threshold"; if exactly one cell (of a row whose total is
    shown) is hidden, also hide the next smallest so that total minus visible cells reveals nothing.
    A row with a single cell cannot protect it this way: its caller must not show a total for it."""
    hidden = {k for k, v in cells.items() if 0 < v < threshold}
    if len(hidden) == 1:
        rest = sorted((v, str(k), k) for k, v in cells.items() if k not in hidden)
        if rest:
            hidden.add(rest[0][2])
    return {k: (f"<{threshold}" if k in hidden else v) for k, v in cells.items()}


def _frame(table) -> pd.DataFrame:
    return table if isinstance(table, pd.DataFrame) else pd.DataFrame(list(table))


def render(exporter: BaseExporter, city, options: dict, fmt: str, *, language: str = "en") -> tuple[bytes, str]:
    """Render every table of ``exporter`` in ``fmt``; returns (content, content type)."""
    if fmt not in exporter.formats:
        raise ValueError(fmt)
    tables = [(str(title), _frame(t)) for title, t in exporter.tables(city, options)]
    if fmt == "json":
        data = {title: json.loads(df.to_json(orient="records", force_ascii=False)) for title, df in tables}
        return json.dumps(data, ensure_ascii=False).encode(), "application/json"
    if fmt == "csv":
        out = io.StringIO()
        for title, df in tables:
            out.write(escape_cell(title) + "\n")
            df.map(escape_cell).to_csv(out, index=False)
            out.write("\n")
        return out.getvalue().encode("utf-8-sig"), "text/csv"
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for i, (title, df) in enumerate(tables):
            name = (title[:28] or "sheet") + (f"{i}" if any(t[:28] == title[:28] for t, _ in tables[:i]) else "")
            for ch in "[]:*?/\\":
                name = name.replace(ch, " ")
            df.map(escape_cell).to_excel(writer, sheet_name=name, index=False)
            if language == "ar":
                writer.sheets[name].sheet_view.rightToLeft = True
    return buf.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def run_export(*, identifier: str, city, fmt: str, options: dict, actor=None, channel: str, language: str = "en"):
    """Check the permission (the command line, ``channel="cli"`` with no actor, runs as the platform), render, log.

    Errors: ``LookupError`` for an unknown exporter or one the actor may not run (callers answer 404);
    ``ValueError`` for a format the exporter does not offer.
    """
    from cities.models import ExportLog

    cls = REGISTRY.get(identifier)
    if cls is None or (channel != "cli" and not cls.allowed(actor, city)):
        raise LookupError(identifier)
    content, content_type = render(cls(), city, options, fmt, language=language)
    ExportLog.objects.create(actor=actor, city=city, exporter=identifier, format=fmt, options=options, channel=channel)
    return content, content_type
