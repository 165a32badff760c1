"""The PDF of the printable report, printed by Debian's headless Chromium (skipped, with the reason, without it)."""

import pytest
from django.core.management import call_command

from cities.exports import REGISTRY, PdfUnavailable, chromium_path, render

needs_chromium = pytest.mark.skipif(
    chromium_path() is None, reason="needs Debian's Chromium (/usr/bin/chromium or $MAJLIS_CHROMIUM)"
)


@pytest.mark.browser
@needs_chromium
def test_summary_pdf_is_printed_from_the_report(city_a, summary_data):
    content, content_type = render(
        REGISTRY["consultation_summary"](), city_a, {"consultation": summary_data.consultation.pk}, "pdf"
    )
    assert content_type == "application/pdf"
    assert content.startswith(b"%PDF-") and len(content) > 2000


@pytest.mark.browser
@needs_chromium
def test_cli_writes_an_arabic_pdf(city_a, summary_data, tmp_path):
    out = tmp_path / "summary.pdf"
    call_command(
        "export",
        "consultation_summary",
        "--format",
        "pdf",
        "--language",
        "ar",
        "--output",
        str(out),
        "--consultation",
        str(summary_data.consultation.pk),
    )
    assert out.read_bytes().startswith(b"%PDF-")


@pytest.mark.browser
@needs_chromium
def test_network_figures_pdf(network, summary_data):
    content, _ = render(REGISTRY["network_key_figures"](), network, {}, "pdf")
    assert content.startswith(b"%PDF-")


def test_a_broken_printer_is_a_clear_error(city_a, summary_data, settings, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    settings.MAJLIS_CHROMIUM = str(fake)
    with pytest.raises(PdfUnavailable, match="PDF export is not available"):
        render(REGISTRY["consultation_summary"](), city_a, {"consultation": summary_data.consultation.pk}, "pdf")
