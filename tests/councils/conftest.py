import pytest
from django.test import Client

from tests.factories import SessionFactory

from .factories import add_member, make_council


@pytest.fixture
def council(city_a, secretariat):
    return make_council(city_a, secretariat)


@pytest.fixture
def term(council):
    return council.terms.get()


@pytest.fixture
def members(term, secretariat):
    return [add_member(term, secretariat) for _ in range(4)]


@pytest.fixture
def council_b(city_b, charlie):
    return make_council(city_b, charlie, name="Saida Youth Council")


@pytest.fixture
def session_a(city_a):
    return SessionFactory(consultation__city=city_a)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def secretariat_client(secretariat):
    return signed_in(secretariat)


@pytest.fixture
def charlie_client(charlie):
    return signed_in(charlie)
