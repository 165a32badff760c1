"""Personas (style guide): a facilitator, a secretariat member, an analyst and an administrator of city A,
and charlie, who works for city B and must be refused everything of city A."""

import os

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from cities.models import Role
from cities.services import api_token_issue

from .factories import CityFactory, DistrictFactory, StaffRoleFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres or redis skip, with the reason, when the service is not configured."""
    database_url = os.environ.get("DATABASE_URL", "")
    for item in items:
        if "postgres" in item.keywords and not database_url.startswith(("postgres", "postgresql")):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://..."))
        if "redis" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(pytest.mark.skip(reason="needs Redis: run with REDIS_URL=redis://..."))


@pytest.fixture(autouse=True)
def _language_kept():
    """A request in Arabic activates Arabic for the test's thread: each test leaves the language it found."""
    with translation.override(translation.get_language()):
        yield


@pytest.fixture(autouse=True)
def _stop_ballot_box():
    """The ballot box's writer thread holds its own connection: close it after each test."""
    yield
    from consultations.live.writer import ballot_box

    ballot_box.stop()


@pytest.fixture
def city_a(db):
    city = CityFactory(slug="fes", name_en="Fes", name_fr="Fès", name_ar="فاس", country="MA")
    DistrictFactory(city=city, name="Fes-Medina", name_ar="فاس المدينة")
    DistrictFactory(city=city, name="Saiss", name_ar="سايس")
    return city


@pytest.fixture
def city_b(db):
    return CityFactory(
        slug="saida",
        name_en="Saida",
        name_fr="Saïda",
        name_ar="صيدا",
        country="LB",
        currency="LBP",
        time_zone="Asia/Beirut",
    )


def _staff(city, role, email):
    user = UserFactory(email=email)
    StaffRoleFactory(user=user, city=city, role=role)
    return user


@pytest.fixture
def facilitator(city_a):
    return _staff(city_a, Role.FACILITATOR, "facilitator@fes.example.org")


@pytest.fixture
def secretariat(city_a):
    return _staff(city_a, Role.SECRETARIAT, "secretariat@fes.example.org")


@pytest.fixture
def analyst(city_a):
    return _staff(city_a, Role.ANALYST, "analyst@fes.example.org")


@pytest.fixture
def city_admin(city_a):
    return _staff(city_a, Role.ADMIN, "admin@fes.example.org")


@pytest.fixture
def charlie(city_b):
    """The outsider: an administrator of city B."""
    return _staff(city_b, Role.ADMIN, "charlie@saida.example.org")


@pytest.fixture
def api_client():
    return APIClient()


def token_client(user) -> APIClient:
    _, key = api_token_issue(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def facilitator_api(facilitator):
    return token_client(facilitator)


@pytest.fixture
def charlie_api(charlie):
    return token_client(charlie)
