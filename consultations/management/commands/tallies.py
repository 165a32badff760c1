"""Check, or repair, the items' tallies against their ballots (services.tallies_recount).

python manage.py tallies [--repair] [--session ID]

The ballot services keep Item.tally in the ballot's own transaction; only data written around them (a bulk load,
a partial restore, a hand-made change in a database shell) can leave a tally wrong. Exits with status 1 when
tallies are wrong and --repair was not given.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from consultations.models import Item, Session
from consultations.services import tallies_recount


class Command(BaseCommand):
    help = "Compare each item's tally with the sum of its ballots; with --repair, correct the wrong ones."

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Correct the tallies that are wrong.")
        parser.add_argument("--session", type=int, help="Only the items of this session (its id).")

    def handle(self, *args, repair: bool = False, session: int | None = None, **options):
        if session is not None and not Session.objects.filter(pk=session).exists():
            raise CommandError(f"There is no session with id {session}.")
        items = Item.objects.all() if session is None else Item.objects.filter(session_id=session)
        with transaction.atomic():
            wrong = tallies_recount(items)
            if not repair:
                transaction.set_rollback(True)
        if not wrong:
            self.stdout.write(f"All {items.count()} tallies match their ballots.")
        elif repair:
            self.stdout.write(f"Repaired {wrong} tallies.")
        else:
            raise CommandError(f"{wrong} tallies do not match their ballots; run with --repair to correct them.")
