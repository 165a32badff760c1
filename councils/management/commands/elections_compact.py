"""Compact the council ballot table, as closing an election does (councils.services.ballots_compact)."""

from django.core.management.base import BaseCommand, CommandError

from councils.services import ballots_compact


class Command(BaseCommand):
    help = (
        "Drop what the database still keeps of earlier states of council ballot urns (PostgreSQL: VACUUM FULL of "
        "the ballot table; SQLite: truncate the write-ahead log). Run it daily, and after an election closed while "
        "a backup or a long report was running."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait",
            type=float,
            default=60.0,
            help="Seconds to wait for transactions older than the last ballot to end (default 60).",
        )

    def handle(self, *args, wait=60.0, **options):
        if not ballots_compact(wait=wait):
            raise CommandError("The ballot table could not be compacted entirely (see the warning above); try later.")
        self.stdout.write("Council ballot table compacted.")
