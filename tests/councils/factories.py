"""Council test data. Memberships go through the service, so that tests see what the product writes."""

import datetime
import itertools

from councils import services
from councils.models import Council, Term

_names = itertools.count(1)


def make_council(city, actor=None, **overrides) -> Council:
    fields = {
        "name": "Communal Youth Council",
        "seat_count": 10,
        "term_name": "2026-2029",
        "term_starts_on": datetime.date(2026, 1, 1),
        "term_ends_on": datetime.date(2029, 12, 31),
        "min_age": 15,
        "max_age": 35,
        "gender_min_share": 40,
    }
    fields.update(overrides)
    return services.council_create(city=city, actor=actor, **fields)


def add_member(term: Term, actor=None, **overrides):
    n = next(_names)
    fields = {
        "full_name": f"Member {n}",
        "gender": "female" if n % 2 else "male",
        "date_of_birth": datetime.date(2000, 1, 1),
        "phone": f"+212 600 000 {n:03d}",
        "selection_method": "elected",
        "starts_on": term.starts_on,
        "district": term.council.city.districts.first(),
    }
    fields.update(overrides)
    return services.membership_add(term=term, actor=actor, **fields)
