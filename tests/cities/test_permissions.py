import pytest
from django.http import Http404

from cities.models import Role
from cities.permissions import (
    can_analyse,
    can_facilitate,
    can_keep_council,
    cities_for_user,
    city_for_staff,
    has_city_role,
)

pytestmark = pytest.mark.django_db


def test_facilitator_may_facilitate_in_own_city_only(facilitator, city_a, city_b):
    assert can_facilitate(facilitator, city_a)
    assert not can_facilitate(facilitator, city_b)
    assert not can_keep_council(facilitator, city_a)


def test_administrator_holds_every_role_of_own_city(city_admin, city_a, city_b):
    for role in Role.values:
        assert has_city_role(city_admin, city_a, role)
    assert not has_city_role(city_admin, city_b, Role.ANALYST)


def test_outsider_sees_no_city_a_and_gets_404(charlie, city_a, city_b):
    assert list(cities_for_user(charlie)) == [city_b]
    with pytest.raises(Http404):
        city_for_staff(charlie, city_a.slug)
    assert not can_analyse(charlie, city_a)


def test_anonymous_user_has_no_roles(city_a):
    from django.contrib.auth.models import AnonymousUser

    assert not can_analyse(AnonymousUser(), city_a)
    assert list(cities_for_user(AnonymousUser())) == []


def test_cities_for_user_filters_by_role(secretariat, city_a):
    assert list(cities_for_user(secretariat, [Role.SECRETARIAT])) == [city_a]
    assert list(cities_for_user(secretariat, [Role.FACILITATOR])) == []
