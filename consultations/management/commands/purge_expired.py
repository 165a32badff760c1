"""Apply the retention periods (docs/privacy.md): run it daily, e.g. from cron or a systemd timer.

python manage.py purge_expired [--dry-run]
"""

from django.contrib.sessions.models import Session as BrowserSession
from django.core.management.base import BaseCommand
from django.utils import timezone

from consultations.privacy import participants_purge_expired


class Command(BaseCommand):
    help = "Clear participants' profile answers and authorship in sessions past the retention period."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report what would be purged; change nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        now = timezone.now()
        report = participants_purge_expired(now=now, dry_run=dry_run)
        verb = "would clear" if dry_run else "cleared"
        self.stdout.write(
            f"Sessions ended before {report.cutoff:%Y-%m-%d}: {len(report.sessions)}; "
            f"{verb} the profiles of {report.participants} participants and the authorship of {report.items} items."
        )
        expired_cookies = BrowserSession.objects.filter(expire_date__lt=now)
        if dry_run:
            self.stdout.write(f"Expired browser sessions: {expired_cookies.count()} would be deleted.")
        else:
            deleted, _ = expired_cookies.delete()
            self.stdout.write(f"Expired browser sessions deleted: {deleted}.")
