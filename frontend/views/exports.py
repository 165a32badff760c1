"""Staff exports page: lists the exporters the user may run; the POST streams the file back directly."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import translation

from cities.exports import FORMATS, exporters_for, run_export
from cities.permissions import city_for_staff
from consultations.models import Consultation


@login_required
def exports_page(request, city_slug):
    city = city_for_staff(request.user, city_slug)  # 404 for a city the user may not see
    available = exporters_for(request.user, city)
    if not available:
        raise Http404
    consultations = Consultation.objects.filter(city=city)
    error = None
    if request.method == "POST":
        options = {}
        if request.POST.get("consultation"):
            consultation = consultations.filter(pk=request.POST["consultation"]).first()
            if consultation is None:
                raise Http404
            options["consultation"] = consultation.pk
        fmt = request.POST.get("format", "csv")
        identifier = request.POST.get("exporter", "")
        try:
            content, content_type = run_export(
                identifier=identifier,
                city=city,
                fmt=fmt,
                options=options,
                actor=request.user,
                channel="web",
                language=translation.get_language() or "en",
            )
        except LookupError as exc:
            raise Http404 from exc
        except (ValueError, KeyError, Consultation.DoesNotExist):
            error = True
        else:
            response = HttpResponse(content, content_type=content_type)
            response["Content-Disposition"] = f'attachment; filename="{identifier}.{fmt}"'
            return response
    return render(
        request,
        "frontend/exports/exports.html",
        {"city": city, "exporters": available, "consultations": consultations, "formats": FORMATS, "error": error},
        status=400 if error else 200,
    )
