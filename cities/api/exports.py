"""Export API: list the exporters the caller may run per city; POST runs one and returns the file."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from cities.exports import exporters_for, run_export
from cities.permissions import cities_for_user
from consultations.models import Consultation


@extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
class ExportList(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def get(self, request):
        return Response(
            [
                {"city": city.slug, "identifier": cls.identifier, "name": str(cls.verbose_name), "formats": cls.formats}
                for city in cities_for_user(request.user)
                for cls in exporters_for(request.user, city)
            ]
        )


@extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.BINARY})
class ExportRun(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request, identifier):
        options = dict(request.data.get("options") or {})
        fmt = request.data.get("format", "csv")
        cities = cities_for_user(request.user)
        city = None
        if "consultation" in options:
            found = Consultation.objects.filter(pk=options["consultation"], city__in=cities).first()
            city = found.city if found else None
        elif "city" in options:
            city = cities.filter(slug=options["city"]).first()
        if city is None:
            return Response({"detail": "Not found."}, status=404)
        try:
            content, content_type = run_export(
                identifier=identifier, city=city, fmt=fmt, options=options, actor=request.user, channel="api"
            )
        except LookupError:
            return Response({"detail": "Not found."}, status=404)
        except (ValueError, KeyError):
            return Response({"detail": "Unsupported format or options."}, status=400)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{identifier}.{fmt}"'
        return response
