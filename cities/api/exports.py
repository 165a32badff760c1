"""Export API: list the exporters the caller may run per city and network; POST runs one and returns the file."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from cities.exports import ExportNotFound, export_request, export_response, exporters_for
from cities.middleware import NUL_REFUSED_MESSAGE
from cities.permissions import cities_for_user, networks_for_admin


def _listing(cls) -> dict:
    return {
        "identifier": cls.identifier,
        "name": str(cls.verbose_name),
        "formats": cls.formats,
        "options": list(cls.options),
        "required_options": list(cls.required_options),
    }


@extend_schema(
    request=None,
    responses={
        200: inline_serializer(
            "ExportEntry",
            fields={
                "city": serializers.SlugField(required=False, help_text="Set for an exporter of a city."),
                "network": serializers.SlugField(required=False, help_text="Set for an exporter of a network."),
                "identifier": serializers.CharField(),
                "name": serializers.CharField(),
                "formats": serializers.ListField(child=serializers.CharField()),
                "options": serializers.ListField(child=serializers.CharField(), required=False),
                "required_options": serializers.ListField(child=serializers.CharField(), required=False),
            },
            many=True,
        )
    },
)
class ExportList(APIView):
    """Every exporter the caller may run: ``{"city": slug, ...}`` per city, ``{"network": slug, ...}`` per network."""

    permission_classes = [permissions.IsAuthenticated]

    def get(self, request):
        rows = [
            {"city": city.slug, **_listing(cls)}
            for city in cities_for_user(request.user)
            for cls in exporters_for(request.user, city)
        ]
        rows += [
            {"network": network.slug, **_listing(cls)}
            for network in networks_for_admin(request.user)
            for cls in exporters_for(request.user, network, scope="network")
        ]
        return Response(rows)


def _has_nul(value) -> bool:
    """Whether a JSON value holds a NUL character anywhere (keys included): PostgreSQL cannot compare such a text."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


@extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.BINARY})
class ExportRun(APIView):
    """``{"format": "csv|xlsx|json|html|pdf", "options": {...}}``. The city is ``city`` (a slug) or else the city of
    the object an option names (``consultation``, ``call``, ``term``); network exporters take ``network`` (a slug).
    The options are read by the export framework (cities.exports.export_request), as on the pages and the command
    line. 404 for anything the caller may not run; 400 for a bad format or option; 503 when PDF printing is
    unavailable."""

    permission_classes = [permissions.IsAuthenticated]

    def post(self, request, identifier):
        # The options are read from the body as they come (no serializer field refuses NUL for us), and a slug or an
        # id with NUL in it reached a query: a 500 on PostgreSQL. Refused like a NUL in a query string.
        if not isinstance(request.data, dict):  # a JSON list or text: no options to read
            return Response({"detail": str(ParseError.default_detail), "code": "invalid_input"}, status=400)
        if _has_nul(request.data):
            return Response({"detail": str(NUL_REFUSED_MESSAGE), "code": "nul_character"}, status=400)
        options = request.data.get("options") or {}
        if not isinstance(options, dict):
            return Response({"detail": "options must be an object."}, status=400)
        values = {
            **options,
            "format": request.data.get("format", "csv"),
            "language": (getattr(request, "LANGUAGE_CODE", "") or "en")[:2],
        }
        try:
            export = export_request(identifier, values, user=request.user)
            content, content_type = export.run(actor=request.user, channel="api")
        except ExportNotFound:  # says no more than any unknown path (an ExportError answers through the handler)
            return Response({"detail": "Not found."}, status=404)
        return export_response(content, content_type, f"{identifier}.{export.fmt}")
