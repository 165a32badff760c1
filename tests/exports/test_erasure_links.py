"""A download link made before an erasure no longer serves the erased person (cities.exports.export_links_revoke,
called by councils.services.person_erase)."""

import re

import pytest
from django.urls import reverse

import cities.exports as exports
from councils import services as council_services
from councils.models import Person


def _run(client, url, **data) -> str:
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:500]
    return re.search(r"\?ready=([\w-]+)$", response["Location"]).group(1)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_a_roster_downloaded_before_an_erasure_is_not_served_after_it(client, city_a, secretariat, council_data, fmt):
    client.force_login(secretariat)
    token = _run(client, reverse("frontend:exports", args=[city_a.slug]), exporter="council_roster", format=fmt)
    download = reverse("frontend:exports_download", args=[token])
    assert client.get(download).status_code == 200
    person = council_data["members"][1].person
    name = person.full_name
    if fmt == "csv":
        assert name in client.get(download).content.decode("utf-8-sig")

    council_services.person_erase(person=person, actor=secretariat, reason="Request of 2026-11-01")

    assert client.get(download).status_code == 404
    ready = client.get(reverse("frontend:exports", args=[city_a.slug]) + f"?ready={token}").content.decode()
    assert download not in ready
    # A new export, made after the erasure, is served and no longer holds the person.
    fresh = _run(client, reverse("frontend:exports", args=[city_a.slug]), exporter="council_roster", format="csv")
    response = client.get(reverse("frontend:exports_download", args=[fresh]))
    assert response.status_code == 200 and name not in response.content.decode("utf-8-sig")


def test_an_erasure_in_another_city_leaves_the_links_alone(client, city_a, city_b, analyst, summary_data, charlie):
    from tests.councils.factories import add_member, make_council

    client.force_login(analyst)
    token = _run(
        client,
        reverse("frontend:exports", args=[city_a.slug]),
        exporter="consultation_summary",
        consultation=summary_data.consultation.pk,
        format="csv",
    )
    other = make_council(city_b, charlie, name="Saida Youth Council")
    member = add_member(other.terms.get(), charlie)
    council_services.person_erase(person=member.person, actor=charlie, reason="Request")
    assert client.get(reverse("frontend:exports_download", args=[token])).status_code == 200


def test_an_export_that_read_the_person_while_the_erasure_committed_is_not_served(city_a, secretariat, council_data):
    """The generation is read before the export runs: an erasure that commits between the export's read and the
    link's storing revokes the link too."""
    before = exports.export_links_generation(city_a)
    council_services.person_erase(person=council_data["members"][0].person, actor=secretariat, reason="Request")
    token = exports.export_link_store(
        content=b"Member 0",
        content_type="text/csv",
        filename="x.csv",
        user=secretariat,
        city=city_a,
        generation=before,
    )
    assert exports.export_link_fetch(token, secretariat) is None
    assert Person.objects.get(pk=council_data["members"][0].person_id).erased_at is not None


def test_a_generation_evicted_from_the_cache_refuses_the_links_of_the_city(city_a, secretariat):
    from django.core.cache import cache

    token = exports.export_link_store(
        content=b"x", content_type="text/csv", filename="x.csv", user=secretariat, city=city_a
    )
    assert exports.export_link_fetch(token, secretariat) is not None
    cache.delete(f"majlis:export-links-of-city:{city_a.pk}")
    assert exports.export_link_fetch(token, secretariat) is None


def test_the_link_is_revoked_again_when_the_erasure_commits(
    city_a, secretariat, council_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        council_services.person_erase(person=council_data["members"][2].person, actor=secretariat, reason="Request")
    # An export that ran during the erasure's transaction read the generation set inside it.
    token = exports.export_link_store(
        content=b"x", content_type="text/csv", filename="x.csv", user=secretariat, city=city_a
    )
    for callback in callbacks:
        callback()
    assert exports.export_link_fetch(token, secretariat) is None


def test_without_the_cache_nothing_is_erased_and_the_reason_is_clear(city_a, secretariat, council_data, monkeypatch):
    """Erasing while the cache (Redis) is unreachable would leave earlier links to be served once it is back: the
    erasure refuses, rolls back and says so, in the user's language."""
    from django.core.cache import cache
    from django.db import transaction
    from django.utils import translation

    from councils.errors import CouncilError

    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    person = council_data["members"][3].person
    monkeypatch.setattr(cache, "set", unreachable)
    with translation.override("fr"):
        with pytest.raises(CouncilError) as info, transaction.atomic():
            council_services.person_erase(person=person, actor=secretariat, reason="Request")
        assert "Rien n'a été effacé" in info.value.detail
    person.refresh_from_db()
    assert person.erased_at is None and person.full_name


def test_a_cache_failure_after_the_commit_leaves_the_erasure_standing(
    city_a, secretariat, council_data, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from django.core.cache import cache

    person = council_data["members"][3].person
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        council_services.person_erase(person=person, actor=secretariat, reason="Request")

    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "set", unreachable)
    for callback in callbacks:
        callback()
    assert "could not revoke the download links" in caplog.text
    assert Person.objects.get(pk=person.pk).erased_at is not None
