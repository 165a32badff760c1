"""Believable demo data for two cities (Fes and Saida), idempotent.

Each run resets the demo staff passwords and issues a fresh API token for each city's administrator, and
prints them (they are random, never written in code). `--json` prints one JSON object (docs/api.md).
"""

import importlib
import io
import json

from django.conf import settings
from django.core.management.base import BaseCommand

from cities import demo as cities_demo

# Each domain app contributes its part through <app>.demo.seed_city(*, city, staff, context).
APP_SEEDERS = ["consultations.demo", "councils.demo", "proposals.demo"]


def join_url(code: str) -> str:
    """The link the QR code carries (a documented, stable path: /j/<code>/)."""
    return f"{settings.SITE_URL}/j/{code}/"


class Command(BaseCommand):
    help = "Create or refresh the demo data (Fes and Saida) and print how to sign in and join."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object, nothing else.")

    def handle(self, *args, json: bool = False, **options):
        report = []
        for city in cities_demo.seed_cities():
            staff, passwords = cities_demo.seed_staff(city)
            context: dict = {}
            for module_name in APP_SEEDERS:
                try:
                    module = importlib.import_module(module_name)
                except ModuleNotFoundError:
                    continue
                seed_city = getattr(module, "seed_city", None)
                if seed_city is not None:
                    seed_city(city=city, staff=staff, context=context)
            session = context["session"]
            report.append(
                {
                    "slug": city.slug,
                    "name": city.name_en,
                    "consultation_id": context["consultation"].pk,
                    "session_id": session.pk,
                    "join_code": session.join_code,
                    "join_url": join_url(session.join_code),
                    "facilitator": {"email": staff["facilitator"].email, "password": passwords["facilitator"]},
                    "api_token": cities_demo.demo_token(staff["admin"]),
                    "staff": {role: {"email": user.email, "password": passwords[role]} for role, user in staff.items()},
                }
            )
        if json:
            self.stdout.write(_dumps({"cities": report}))
        else:
            self._print_human(report)

    def _print_human(self, report):
        import qrcode

        out = self.stdout
        out.write(self.style.SUCCESS("Demo data ready."))
        for city in report:
            out.write("")
            out.write(self.style.MIGRATE_HEADING(f"{city['name']} ({city['slug']})"))
            out.write(f"  Participants join at: {city['join_url']}")
            out.write(f"  Join code:            {city['join_code']}")
            out.write(f"  Facilitator sign-in:  {settings.SITE_URL}/accounts/login/")
            for role, creds in city["staff"].items():
                out.write(f"    {role:<12} {creds['email']:<32} {creds['password']}")
            out.write(f"  API token (admin):    {city['api_token']}")
        first = report[0]
        out.write("")
        out.write(f"Scan to join {first['name']}'s live session ({first['join_code']}):")
        qr = qrcode.QRCode(border=1)
        qr.add_data(first["join_url"])
        buffer = io.StringIO()
        qr.print_ascii(out=buffer, invert=True)
        out.write(buffer.getvalue())


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
