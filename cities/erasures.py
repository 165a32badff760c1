"""The erasure journal: every erasure of a person, appended to a file that lives outside the database.

A database backup taken before an erasure still holds the person. Restoring it must not bring them back, so each
erasure is also written, once committed, as one JSON line to ``MAJLIS_ERASURE_JOURNAL`` (a path on a disk that is
not restored with the database, copied off-site with the backups). After any restore the operator runs
``manage.py erasures_replay``, which erases again everyone the journal names (docs/operations.md, privacy.md).

A line names the kind and the id of what was erased and when: never a name, a contact or a reason.
Without ``MAJLIS_ERASURE_JOURNAL`` (development, tests) nothing is written.
"""

import json
import os
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone


def journal_path() -> Path | None:
    path = getattr(settings, "MAJLIS_ERASURE_JOURNAL", "") or os.environ.get("MAJLIS_ERASURE_JOURNAL", "")
    return Path(path) if path else None


def journal_record(*, kind: str, pk: int) -> None:
    """Append the erasure of (kind, pk) to the journal once the current transaction commits."""
    path = journal_path()
    if path is None:
        return
    line = json.dumps({"kind": kind, "id": pk, "erased_at": timezone.now().isoformat()}) + "\n"

    def append() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as journal:
            journal.write(line)
            journal.flush()
            os.fsync(journal.fileno())

    transaction.on_commit(append)


def journal_entries(path: Path) -> Iterator[dict]:
    """The journal's entries, oldest first; a torn last line (a crash while writing) is skipped."""
    with path.open(encoding="utf-8") as journal:
        for line in journal:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict) and {"kind", "id"} <= entry.keys():
                yield entry
