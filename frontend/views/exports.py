"""Staff exports pages: the exporters a user may run for a city (or a network), the printable report, and the
download of a finished export.

An export runs in the request (the page shows a busy state meanwhile, static/frontend/exports.js); the finished
file is kept for its owner for a few minutes and the page links to it (cities.exports.export_link_store). The
download answers only the owner's signed-in session and only until the link expires (docs/exports.md). What the
person asked for is read and checked by the export framework (cities.exports.export_request), as for the API and the
command line; these views only map its answers to pages.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cities.exports import (
    EXPORT_LINK_SECONDS,
    FORMAT_NAMES,
    ExportError,
    ExportNotFound,
    PdfUnavailable,
    export_link_fetch,
    export_link_store,
    export_links_generation,
    export_request,
    export_response,
    exporters_for,
    option_choices,
    report_page_html,
)
from cities.permissions import city_for_staff, networks_for_admin

OPTION_LABELS = {
    "consultation": _("Consultation"),
    "term": _("Term"),
    "call": _("Funding call"),
}
OPTION_EMPTY = {
    "term": _("Current term"),
    "call": _("All calls"),
}


def _cards(exporters, city) -> list[dict]:
    choices: dict[str, list] = {}
    cards = []
    for cls in exporters:
        options = []
        for name in cls.options:
            if name not in choices:
                choices[name] = option_choices(cls, name, city)
            options.append(
                {
                    "name": name,
                    "label": OPTION_LABELS.get(name, name),
                    "choices": choices[name],
                    "required": name in cls.required_options,
                    "empty": OPTION_EMPTY.get(name, "—"),
                }
            )
        cards.append(
            {
                "exporter": cls,
                "options": options,
                "formats": [(fmt, FORMAT_NAMES.get(fmt, fmt)) for fmt in cls.formats],
                "has_report": "html" in cls.formats,
            }
        )
    return cards


def _language() -> str:
    return (translation.get_language() or "en")[:2]


def _run_page(request, *, target, scope: str, city=None, network=None, template_context: dict):
    """The exports page of a city or a network: GET lists, POST runs and redirects to the ready link."""
    available = exporters_for(request.user, target, scope=scope)
    if not available:
        raise Http404
    error, status = None, 200
    if request.method == "POST":
        values = {**request.POST.dict(), "language": _language()}
        try:
            export = export_request(
                request.POST.get("exporter", ""), values, user=request.user, city=city, network=network
            )
            # Read before the export runs, so that an erasure committed meanwhile revokes the link.
            generation = export_links_generation(city) if city is not None else None
            content, content_type = export.run(actor=request.user, channel="web")
        except ExportNotFound as exc:
            raise Http404 from exc
        except PdfUnavailable as exc:
            error, status = str(exc), 503
        except ExportError as exc:
            error, status = str(exc), 400
        else:
            token = export_link_store(
                content=content,
                content_type=content_type,
                filename=export.filename(),
                user=request.user,
                city=city,
                generation=generation,
            )
            return redirect(f"{request.path}?ready={token}")
    ready = None
    token = request.GET.get("ready", "")
    if token:
        record = export_link_fetch(token, request.user)
        ready = {
            "url": reverse("frontend:exports_download", args=[token]) if record else None,
            "filename": record["filename"] if record else "",
            "minutes": EXPORT_LINK_SECONDS // 60,
        }
    context = {
        "cards": _cards(available, city),
        "error": error,
        "ready": ready,
        **template_context,
    }
    return render(request, "frontend/exports/exports.html", context, status=status)


@never_cache
@login_required
def exports_page(request, city_slug):
    city = city_for_staff(request.user, city_slug)  # 404 for a city the user may not see
    return _run_page(
        request,
        target=city,
        scope="city",
        city=city,
        template_context={"heading": city.name, "city": city, "report_url": "frontend:exports_report"},
    )


def _network_for_admin(user, slug: str):
    network = networks_for_admin(user).filter(slug=slug).first()
    if network is None:
        raise Http404
    return network


@never_cache
@login_required
def network_exports_page(request, network_slug):
    network = _network_for_admin(request.user, network_slug)
    return _run_page(
        request,
        target=network,
        scope="network",
        network=network,
        template_context={"heading": network.name, "network": network, "report_url": "frontend:network_exports_report"},
    )


def _report(request, *, back_url: str, identifier: str, city=None, network=None):
    """The printable report, in the user's language, as a page of this site (stylesheet and script linked from
    /static/, so the site's Content-Security-Policy holds). Audited as an export in format html."""
    values = {**request.GET.dict(), "format": "html", "language": _language()}
    try:
        export = export_request(identifier, values, user=request.user, city=city, network=network)
    except ExportNotFound as exc:
        raise Http404 from exc
    except ExportError as exc:
        return _report_error(request, exc, back_url)
    pdf_form = {k: v for k, v in export.options.items() if k != "network"} if "pdf" in export.exporter.formats else None
    try:
        html = report_page_html(
            export,
            actor=request.user,
            template="frontend/exports/report.html",
            extra={"back_url": back_url, "pdf_form": pdf_form, "csrf_token": get_token(request)},
        )
    except ExportError as exc:
        return _report_error(request, exc, back_url)
    return HttpResponse(html)


def _report_error(request, error: ExportError, back_url: str):
    context = {"error": str(error), "back_url": back_url}
    return render(request, "frontend/exports/report_error.html", context, status=400)


@never_cache
@require_GET
@login_required
def report_page(request, city_slug, identifier):
    city = city_for_staff(request.user, city_slug)
    back = reverse("frontend:exports", args=[city.slug])
    return _report(request, back_url=back, identifier=identifier, city=city)


@never_cache
@require_GET
@login_required
def network_report_page(request, network_slug, identifier):
    network = _network_for_admin(request.user, network_slug)
    back = reverse("frontend:network_exports", args=[network.slug])
    return _report(request, back_url=back, identifier=identifier, network=network)


@never_cache
@require_GET
@login_required
def download(request, token):
    """The file of a finished export: for the user who ran it, until the link expires or a person's data is erased
    in its city (cities.exports.export_links_revoke); 404 otherwise."""
    record = export_link_fetch(token, request.user)
    if record is None:
        raise Http404
    return export_response(record["content"], record["content_type"], record["filename"])
