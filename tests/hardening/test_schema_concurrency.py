"""Concurrent requests for the OpenAPI schema all succeed, and get the same schema (config/api_schema.py).

drf-spectacular's first generation in a process rewrites class attributes as it goes; two at once (each request's
sync view runs in its own thread under ASGI) sometimes failed with a 500. A fresh server process is needed to see
it: this test starts one and sends its first schema requests all at once.
"""

import concurrent.futures
import json
import urllib.error
import urllib.request

import pytest

from tests.live_server import server_for_test_database

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _get(url: str, language: str) -> tuple[int, bytes]:
    headers = {"Accept": "application/json", "Accept-Language": language}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our local server
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - our local server
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("attempt", [1, 2])
def test_parallel_first_requests_for_the_schema_all_succeed_alike(attempt):
    server = server_for_test_database()
    server.start()
    try:
        url = f"{server.url}/api/v1/schema/"
        languages = ["en", "fr", "ar", "en"] * 6
        with concurrent.futures.ThreadPoolExecutor(len(languages)) as pool:
            answers = list(pool.map(lambda language: _get(url, language), languages))
        failures = [(status, body[:300]) for status, body in answers if status != 200]
        assert not failures
        by_language: dict[str, set[bytes]] = {}
        for language, (_, body) in zip(languages, answers, strict=True):
            by_language.setdefault(language, set()).add(body)
        assert all(len(bodies) == 1 for bodies in by_language.values())  # one schema per language
        schema = json.loads(next(iter(by_language["en"])))
        assert schema["openapi"].startswith("3.") and "/api/v1/cities/" in schema["paths"]
        # ?lang= chooses the language as before; a language we do not have is the default one.
        assert _get(f"{url}?lang=fr", "en")[1] == next(iter(by_language["fr"]))
        assert _get(f"{url}?lang=xx", "en")[1] == next(iter(by_language["en"]))
    finally:
        server.stop()
