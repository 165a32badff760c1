"""Compact the council ballot table, as closing an election does (councils.services.ballots_compact)."""

from django.core.management.base import BaseCommand, CommandError

from councils.services import ballots_compact


class Command(BaseCommand):
    help = (
        "Drop what the database still keeps of earlier states of council ballot urns (PostgreSQL: VACUUM FULL of "
        "the ballot table; SQLite: truncate the write-ahead log). Run it daily, and after an election closed while "
        "a backup or a long report was running."
    )

    def handle(self, *args, **options):
        if not ballots_compact():
            raise CommandError("The ballot table could not be compacted (see the warning above); try again later.")
        self.stdout.write("Council ballot table compacted.")
