"""Export refusals answer through the API's one error handler (cities/api/exceptions.py): `detail` as before, and a
`code`."""

from django.utils import translation

from tests.conftest import token_client
from tests.factories import ConsultationFactory


def test_a_format_not_offered_answers_400_invalid_export_in_arabic(city_a, analyst):
    consultation = ConsultationFactory(city=city_a)
    response = token_client(analyst).post(
        "/api/v1/exports/consultation_summary",
        {"format": "doc", "options": {"consultation": consultation.pk}},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ar",
    )
    with translation.override("ar"):
        expected = translation.gettext("This export is not offered as %(format)s.") % {"format": "doc"}
    assert response.status_code == 400
    assert response.json() == {"detail": expected, "code": "invalid_export"}
    assert expected != "This export is not offered as doc."


def test_pdf_without_a_printer_answers_503_pdf_unavailable(city_a, analyst, settings):
    settings.MAJLIS_CHROMIUM = "/nonexistent/chromium"
    consultation = ConsultationFactory(city=city_a)
    response = token_client(analyst).post(
        "/api/v1/exports/consultation_summary",
        {"format": "pdf", "options": {"consultation": consultation.pk}},
        format="json",
    )
    assert response.status_code == 503
    assert response.json()["code"] == "pdf_unavailable" and "PDF" in response.json()["detail"]
