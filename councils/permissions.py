"""Who may do what with council records: plain predicates and access helpers over cities.permissions.

The secretariat (and administrators) of a city keep its council. Everybody else, including other staff roles
of the same city, is told the council does not exist (404): member records are personal data.
"""

from django.http import Http404

from cities.models import Role
from cities.permissions import can_keep_council, city_for_staff

from .models import Council, Membership

COUNCIL_ROLES = (Role.SECRETARIAT,)


def can_keep_records(user, council: Council) -> bool:
    return can_keep_council(user, council.city)


def city_for_secretariat(user, slug: str):
    """The city with slug, if user is its secretariat or administrator; Http404 otherwise."""
    return city_for_staff(user, slug, COUNCIL_ROLES)


def council_for_secretariat(user, slug: str) -> Council:
    """The council of the city with slug, for its secretariat or administrators; Http404 otherwise."""
    city = city_for_secretariat(user, slug)
    try:
        return Council.objects.select_related("city").get(city=city)
    except Council.DoesNotExist:
        raise Http404 from None


def membership_for_secretariat(user, slug: str, pk: int) -> Membership:
    council = council_for_secretariat(user, slug)
    try:
        return Membership.objects.select_related("person", "term", "person__district").get(pk=pk, term__council=council)
    except Membership.DoesNotExist:
        raise Http404 from None
