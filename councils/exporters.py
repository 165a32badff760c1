"""Exports of council records: the roster (CSV, Excel) in the import's format, and a person's own data (JSON)."""

import json

from django.utils.translation import gettext_lazy as _

from . import rosters, selectors
from .models import Person, Term

ROSTER_FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


class RosterExporter:
    """The roster of one term; personal data, so for the secretariat and administrators of the city only."""

    identifier = "council_roster"
    verbose_name = _("Council roster")
    permission = "councils.keep_records"
    formats = tuple(ROSTER_FORMATS)

    def rows(self, term: Term, *, status: str = "all"):
        for m in selectors.roster(term, status=status):
            p = m.person
            yield {
                "full_name": p.full_name,
                "gender": p.gender,
                "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else "",
                "age_band": p.current_age_band,
                "district": p.district.name if p.district else "",
                "organisation": p.organisation,
                "phone": p.phone,
                "email": p.email,
                "role": m.role,
                "selection_method": m.selection_method,
                "starts_on": m.starts_on.isoformat(),
                "ends_on": m.ends_on.isoformat() if m.ends_on else "",
                "status": m.status,
                "committees": ";".join(sorted(c.name for c in m.committees.all())),
                "guardian_consent": "yes" if m.guardian_consent_at else "",
                "member_code": m.member_code,
            }

    def export(self, term: Term, fmt: str) -> tuple[bytes, str, str]:
        """(content, content type, file name)."""
        content_type, extension = ROSTER_FORMATS[fmt]
        data = rosters.to_bytes(list(self.rows(term)), fmt)
        return data, content_type, f"roster-{term.council.city.slug}-{term.pk}.{extension}"


def person_json(person: Person) -> bytes:
    return json.dumps(selectors.person_export(person), ensure_ascii=False, indent=2).encode()
