"""Staff exports pages: run an export (busy state, then a download link for the owner only, which expires), the
printable report under the site's Content-Security-Policy, and the network page."""

import re
import types

from django.conf import settings
from django.urls import reverse

import cities.exports as exports
from cities.models import ExportLog


def _run(client, url, **data):
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:500]
    token = re.search(r"\?ready=([\w-]+)$", response["Location"]).group(1)
    return response["Location"], token


def test_analyst_prepares_and_downloads_the_summary(client, city_a, analyst, summary_data):
    client.force_login(analyst)
    url = reverse("frontend:exports", args=[city_a.slug])
    page = client.get(url).content.decode()
    assert 'id="export-consultation_summary"' in page and "council_roster" not in page
    assert "frontend/exports.js" in page and 'class="export-busy"' in page  # the busy state, from a static script
    ready_url, token = _run(
        client, url, exporter="consultation_summary", consultation=summary_data.consultation.pk, format="csv"
    )
    ready = client.get(ready_url).content.decode()
    download_url = reverse("frontend:exports_download", args=[token])
    assert download_url in ready
    response = client.get(download_url)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="consultation_summary-fes-')
    assert "Clean water" in response.content.decode("utf-8-sig")
    assert "no-store" in response["Cache-Control"]
    log = ExportLog.objects.get()
    assert (log.actor, log.channel, log.format) == (analyst, "web", "csv")


def test_the_download_link_is_for_its_owner_only(client, city_a, analyst, facilitator, summary_data):
    client.force_login(analyst)
    _ready, token = _run(
        client,
        reverse("frontend:exports", args=[city_a.slug]),
        exporter="consultation_summary",
        consultation=summary_data.consultation.pk,
        format="json",
    )
    download_url = reverse("frontend:exports_download", args=[token])
    client.force_login(facilitator)  # same city, another person
    assert client.get(download_url).status_code == 404
    client.logout()
    assert client.get(download_url).status_code == 302  # to sign-in
    client.force_login(analyst)
    assert client.get(download_url).status_code == 200


def test_the_download_link_expires(client, city_a, analyst, summary_data, monkeypatch):
    client.force_login(analyst)
    _ready, token = _run(
        client,
        reverse("frontend:exports", args=[city_a.slug]),
        exporter="consultation_summary",
        consultation=summary_data.consultation.pk,
        format="json",
    )
    download_url = reverse("frontend:exports_download", args=[token])
    later = exports.time.time() + exports.EXPORT_LINK_SECONDS + 1
    monkeypatch.setattr(exports, "time", types.SimpleNamespace(time=lambda: later))
    assert client.get(download_url).status_code == 404


def test_bad_option_is_a_clear_error_and_changes_nothing(client, city_a, analyst):
    client.force_login(analyst)
    url = reverse("frontend:exports", args=[city_a.slug])
    response = client.post(url, {"exporter": "consultation_summary", "consultation": "", "format": "csv"})
    assert response.status_code == 400
    assert "needs the option" in response.content.decode()
    assert not ExportLog.objects.exists()


def test_pdf_without_chromium_is_a_clear_error(client, city_a, analyst, summary_data, settings):
    settings.MAJLIS_CHROMIUM = "/nonexistent/chromium"
    client.force_login(analyst)
    url = reverse("frontend:exports", args=[city_a.slug])
    response = client.post(
        url, {"exporter": "consultation_summary", "consultation": summary_data.consultation.pk, "format": "pdf"}
    )
    assert response.status_code == 503
    assert "PDF export is not available" in response.content.decode()
    assert not ExportLog.objects.exists()


def test_charlie_gets_404_on_city_a_exports(client, city_a, charlie, summary_data):
    client.force_login(charlie)
    url = reverse("frontend:exports", args=[city_a.slug])
    assert client.get(url).status_code == 404
    body = {"exporter": "consultation_summary", "consultation": summary_data.consultation.pk, "format": "csv"}
    assert client.post(url, body).status_code == 404
    report = reverse("frontend:exports_report", args=[city_a.slug, "consultation_summary"])
    assert client.get(report, {"consultation": summary_data.consultation.pk}).status_code == 404
    assert not ExportLog.objects.exists()


def test_an_analyst_cannot_post_the_roster(client, city_a, analyst, council_data):
    client.force_login(analyst)
    url = reverse("frontend:exports", args=[city_a.slug])
    assert client.post(url, {"exporter": "council_roster", "format": "csv"}).status_code == 404


def test_printable_report_is_csp_safe_with_inline_svg_charts(client, city_a, analyst, summary_data):
    client.force_login(analyst)
    url = reverse("frontend:exports_report", args=[city_a.slug, "consultation_summary"])
    response = client.get(url, {"consultation": summary_data.consultation.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "Clean water" in html and "Key figures" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # scripts only from /static/
    assert not re.search(r"\sstyle\s*=", html) and "<style" not in html
    assert "frontend/exports.css" in html
    assert 'name="format" value="pdf"' in html and "csrfmiddlewaretoken" in html
    assert "style-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert ExportLog.objects.get().format == "html"


def test_printable_report_in_arabic_is_right_to_left(client, city_a, analyst, summary_data):
    client.force_login(analyst)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    url = reverse("frontend:exports_report", args=[city_a.slug, "consultation_summary"])
    html = client.get(url, {"consultation": summary_data.consultation.pk}).content.decode()
    assert '<html lang="ar" dir="rtl">' in html and 'direction="rtl"' in html


def test_printable_report_without_its_option_says_so(client, city_a, analyst):
    client.force_login(analyst)
    url = reverse("frontend:exports_report", args=[city_a.slug, "consultation_summary"])
    response = client.get(url)
    assert response.status_code == 400 and "needs the option" in response.content.decode()


def test_network_page_for_network_administrators_only(client, network, network_admin, city_admin):
    url = reverse("frontend:network_exports", args=[network.slug])
    client.force_login(city_admin)
    assert client.get(url).status_code == 404
    assert url not in client.get(reverse("frontend:dashboard")).content.decode()
    client.force_login(network_admin)
    assert url in client.get(reverse("frontend:dashboard")).content.decode()
    assert "network_key_figures" in client.get(url).content.decode()
    _ready, token = _run(client, url, exporter="network_key_figures", format="xlsx")
    assert client.get(reverse("frontend:exports_download", args=[token])).status_code == 200
    report = reverse("frontend:network_exports_report", args=[network.slug, "network_key_figures"])
    assert "Key figures by city" in client.get(report).content.decode()
    assert ExportLog.objects.filter(actor=network_admin).count() == 2
