from django.urls import reverse

from cities.models import ExportLog
from tests.factories import ConsultationFactory


def test_analyst_downloads_summary_from_staff_page(client, city_a, analyst):
    c = ConsultationFactory(city=city_a)
    client.force_login(analyst)
    url = reverse("frontend:exports", args=[city_a.slug])
    assert b"consultation_summary" in client.get(url).content
    response = client.post(url, {"exporter": "consultation_summary", "consultation": c.pk, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="consultation_summary.csv"'
    assert ExportLog.objects.get().channel == "web"


def test_charlie_gets_404_on_city_a_exports(client, city_a, charlie):
    c = ConsultationFactory(city=city_a)
    client.force_login(charlie)
    url = reverse("frontend:exports", args=[city_a.slug])
    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"exporter": "consultation_summary", "consultation": c.pk, "format": "csv"}).status_code == 404
    )
    assert not ExportLog.objects.exists()
