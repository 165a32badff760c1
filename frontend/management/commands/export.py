"""python manage.py export <identifier> --format csv|xlsx|json|html|pdf --output FILE [options]

Runs an exporter as the platform (logged with no actor, channel cli), for cities that schedule exports.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from cities.exports import ALL_FORMATS, REGISTRY, ExportError, run_export
from cities.models import City, Network


class Command(BaseCommand):
    help = "Run an exporter as the platform and write the file (logged with no actor, channel cli)."

    def add_arguments(self, parser):
        parser.add_argument("identifier", help="One of: " + ", ".join(sorted(REGISTRY)))
        parser.add_argument("--format", default="csv", choices=ALL_FORMATS)
        parser.add_argument("--output", required=True)
        parser.add_argument("--consultation", type=int)
        parser.add_argument("--term", type=int, help="council exports: a term (default: the current term)")
        parser.add_argument("--call", type=int, help="funding exports: a funding call")
        parser.add_argument("--city", help="the city's slug, for exports that name no object")
        parser.add_argument("--network", help="the network's slug, for network exports")
        parser.add_argument("--language", default="en", choices=["ar", "fr", "en"])

    def handle(self, *args, identifier, format, output, consultation, term, call, city, network, language, **kw):
        cls = REGISTRY.get(identifier)
        if cls is None:
            raise CommandError(f"Unknown exporter {identifier!r}. Known: {', '.join(sorted(REGISTRY))}")
        given = {"consultation": consultation, "term": term, "call": call, "network": network}
        options = {k: v for k, v in given.items() if v is not None}
        city_obj = network_obj = None
        if cls.scope == "network":
            network_obj = Network.objects.filter(slug=network or "").first()
            if network_obj is None:
                raise CommandError(f"{identifier} needs --network <slug> of an existing network")
        elif city:
            city_obj = City.objects.filter(slug=city).first()
            if city_obj is None:
                raise CommandError(f"No city {city!r}")
        else:
            city_id = cls.city_id_for(options)
            city_obj = City.objects.filter(pk=city_id).first() if city_id else None
            if city_obj is None:
                names = ", ".join(f"--{name}" for name in cls.options) or "--city"
                raise CommandError(f"{identifier} needs {names} (an existing one) or --city <slug>")
        with translation.override(language):
            try:
                content, _ = run_export(
                    identifier=identifier,
                    city=city_obj,
                    network=network_obj,
                    fmt=format,
                    options=options,
                    channel="cli",
                    language=language,
                )
            except ExportError as exc:
                raise CommandError(str(exc)) from exc
            except LookupError as exc:
                raise CommandError(f"Unknown exporter {identifier!r}") from exc
        Path(output).write_bytes(content)
        self.stdout.write(f"Wrote {output}")
