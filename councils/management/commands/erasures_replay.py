"""Erase again, after a database restore, every council member the erasure journal names (cities/erasures.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cities.erasures import journal_entries, journal_path
from councils.models import Person
from councils.services import person_erase

KIND = "councils.person"


class Command(BaseCommand):
    help = "After restoring a backup: erase again everyone in the erasure journal (MAJLIS_ERASURE_JOURNAL)."

    def add_arguments(self, parser):
        parser.add_argument("--journal", help="Path of the journal (default: MAJLIS_ERASURE_JOURNAL).")
        parser.add_argument("--dry-run", action="store_true", help="Report what would be erased; change nothing.")

    def handle(self, *args, journal=None, dry_run=False, **options):
        path = journal or journal_path()
        if not path:
            raise CommandError("No journal: set MAJLIS_ERASURE_JOURNAL or pass --journal.")
        try:
            entries = [e for e in journal_entries(Path(path)) if e["kind"] == KIND]
        except FileNotFoundError:
            raise CommandError(f"No erasure journal at {path}.") from None
        ids = {int(e["id"]) for e in entries}
        pending = Person.objects.filter(pk__in=ids, erased_at__isnull=True).order_by("pk")
        erased = 0
        for person in pending:
            if not dry_run:
                person_erase(person=person, actor=None, reason="Erasure re-applied after a restore (erasure journal)")
            erased += 1
        verb = "would erase" if dry_run else "erased"
        self.stdout.write(f"{len(ids)} erasure(s) in the journal; {verb} {erased} person(s) again.")
