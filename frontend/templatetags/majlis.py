"""Template filters over cities.permissions, so that pages show only the links a person may use.

{% load majlis %}
{% if user|can_facilitate:city %}...{% endif %}
{% for label in user|city_role_labels:city %}...{% endfor %}
"""

from django import template

from cities import permissions
from cities.models import Role

register = template.Library()


@register.filter
def can_facilitate(user, city) -> bool:
    return permissions.can_facilitate(user, city)


@register.filter
def can_keep_council(user, city) -> bool:
    return permissions.can_keep_council(user, city)


@register.filter
def can_analyse(user, city) -> bool:
    return permissions.can_analyse(user, city)


@register.filter
def can_administer(user, city) -> bool:
    return permissions.can_administer(user, city)


@register.filter
def is_city_staff(user, city) -> bool:
    return permissions.is_city_staff(user, city)


@register.filter
def city_role_labels(user, city) -> list[str]:
    """The translated names of the roles user holds in city, in a fixed order."""
    held = permissions.city_roles(user, city)
    return [label for value, label in Role.choices if value in held]
