from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from cities.exports import run_export
from cities.models import City


class Command(BaseCommand):
    help = "Run an exporter as the platform and write the file (logged with no actor, channel cli)."

    def add_arguments(self, parser):
        parser.add_argument("identifier")
        parser.add_argument("--format", default="csv", choices=["csv", "xlsx", "json"])
        parser.add_argument("--output", required=True)
        parser.add_argument("--consultation", type=int)
        parser.add_argument("--city")
        parser.add_argument("--network")
        parser.add_argument("--language", default="en", choices=["ar", "fr", "en"])

    def handle(self, *args, identifier, format, output, consultation, city, network, language, **kw):
        options = {k: v for k, v in {"consultation": consultation, "network": network}.items() if v is not None}
        city_obj = None
        if city:
            city_obj = City.objects.filter(slug=city).first() or None
            if city_obj is None:
                raise CommandError(f"No city {city!r}")
        elif consultation:
            from consultations.models import Consultation

            found = Consultation.objects.filter(pk=consultation).select_related("city").first()
            if found is None:
                raise CommandError(f"No consultation {consultation}")
            city_obj = found.city
        with translation.override(language):
            try:
                content, _ = run_export(
                    identifier=identifier, city=city_obj, fmt=format, options=options, channel="cli", language=language
                )
            except LookupError as exc:
                raise CommandError(f"Unknown exporter {identifier!r}") from exc
        Path(output).write_bytes(content)
        self.stdout.write(f"Wrote {output}")
