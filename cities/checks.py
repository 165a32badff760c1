"""Deployment checks of this app (``manage.py check --deploy``; docs/operations.md, "Checks")."""

import os
from pathlib import Path

from django.core import checks
from django.utils.translation import gettext as _

from .erasures import journal_path


def _journal_writable(path: Path) -> bool:
    """Whether the process can append to the journal: the file if it exists, else the folder that will hold it
    (journal_record creates missing folders, so the nearest existing one must let us create entries)."""
    if path.exists():
        return path.is_file() and os.access(path, os.W_OK)
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


@checks.register(checks.Tags.security, deploy=True)
def check_erasure_journal(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Production keeps an erasure journal, so that restoring a backup cannot bring erased people back."""
    path = journal_path()
    if path is None:
        return [
            checks.Warning(
                _(
                    "MAJLIS_ERASURE_JOURNAL is not set: erasures are not journaled, so restoring a backup would bring "
                    "erased people back."
                ),
                hint=_(
                    "Set MAJLIS_ERASURE_JOURNAL to a file on a disk that is not restored with the database "
                    "(docs/operations.md, Backup and restore)."
                ),
                id="majlis.W001",
            )
        ]
    if not _journal_writable(path):
        return [
            checks.Warning(
                _(
                    "The erasure journal %(path)s cannot be written: erasures would fail to be journaled, so restoring "
                    "a backup would bring erased people back."
                )
                % {"path": path},
                hint=_(
                    "Let the service's user create and append to this file, or point MAJLIS_ERASURE_JOURNAL at a "
                    "writable place."
                ),
                id="majlis.W002",
            )
        ]
    return []
