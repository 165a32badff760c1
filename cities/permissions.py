"""Plain predicates and access helpers for city data. Every view, API and consumer goes through these.

A city administrator may do everything any other role of the same city may do. Superusers manage the
platform in the Django admin; in the product they are treated like an administrator of every city.
"""

from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from .models import City, Network, Role, StaffRole


def _is_superuser(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_superuser and user.is_active)


def city_roles(user, city: City) -> set[str]:
    """The roles user holds in city (empty for anonymous users and outsiders)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if _is_superuser(user):
        return set(Role.values)
    cache = getattr(user, "_majlis_city_roles", None)
    if cache is None:
        cache = {}
        for city_id, role in StaffRole.objects.filter(user=user).values_list("city_id", "role"):
            cache.setdefault(city_id, set()).add(role)
        user._majlis_city_roles = cache
    return set(cache.get(city.pk, set()))


def has_city_role(user, city: City, *roles: str) -> bool:
    """True when user holds one of roles in city; an administrator holds them all."""
    held = city_roles(user, city)
    return Role.ADMIN in held or bool(held.intersection(roles))


def is_city_staff(user, city: City) -> bool:
    return bool(city_roles(user, city))


def can_facilitate(user, city: City) -> bool:
    return has_city_role(user, city, Role.FACILITATOR)


def can_keep_council(user, city: City) -> bool:
    return has_city_role(user, city, Role.SECRETARIAT)


def can_analyse(user, city: City) -> bool:
    return has_city_role(user, city, Role.ANALYST, Role.FACILITATOR, Role.SECRETARIAT)


def can_administer(user, city: City) -> bool:
    return has_city_role(user, city, Role.ADMIN)


def cities_for_user(user, roles: Iterable[str] | None = None) -> QuerySet[City]:
    """Cities in which user holds any of roles (any role when None). Administrators count for every role."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return City.objects.none()
    if _is_superuser(user):
        return City.objects.all()
    staff = StaffRole.objects.filter(user=user)
    if roles is not None:
        staff = staff.filter(role__in=[*roles, Role.ADMIN])
    return City.objects.filter(pk__in=staff.values("city_id"))


def city_for_staff(user, slug: str, roles: Iterable[str] | None = None) -> City:
    """The city with slug if user may act in it with one of roles; Http404 otherwise.

    A city the user may not see is reported as missing, so that its existence is not disclosed.
    """
    try:
        return cities_for_user(user, roles).get(slug=slug)
    except City.DoesNotExist:
        raise Http404 from None


def networks_for_admin(user) -> QuerySet[Network]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Network.objects.none()
    if _is_superuser(user):
        return Network.objects.all()
    return Network.objects.filter(administrators=user)


def is_any_city_admin(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return _is_superuser(user) or StaffRole.objects.filter(user=user, role=Role.ADMIN).exists()
