"""python manage.py export <identifier> --format csv|xlsx|json|html|pdf --output FILE [options]

Runs an exporter as the platform (audited with no actor, channel cli), for cities that schedule exports. The options
are read and checked by the export framework (cities.exports.export_request), as on the pages and the API.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from cities.exports import ALL_FORMATS, REGISTRY, ExportError, ExportNotFound, export_request


def _flag(name: str) -> str:
    return f"--{name}"


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

    def handle(self, *args, identifier, output, format, language, consultation, term, call, city, network, **kw):
        given = {"consultation": consultation, "term": term, "call": call, "city": city, "network": network}
        values = {"format": format, "language": language, **{k: v for k, v in given.items() if v is not None}}
        with translation.override(language):
            try:
                export = export_request(identifier, values, spell=_flag)
                content, _content_type = export.run(actor=None, channel="cli")
            except (ExportError, ExportNotFound) as exc:
                raise CommandError(str(exc)) from exc
        Path(output).write_bytes(content)
        self.stdout.write(f"Wrote {output}")
