"""Demo cities and their staff (seed_demo). Idempotent: keyed on slugs and e-mail addresses."""

import secrets

from .models import City, District, Network, Role, StaffRole, User
from .services import api_token_issue

CITIES = [
    {
        "slug": "fes",
        "name_en": "Fes",
        "name_fr": "Fès",
        "name_ar": "فاس",
        "country": "MA",
        "default_language": "ar",
        "time_zone": "Africa/Casablanca",
        "currency": "MAD",
        "districts": [
            ("Agdal", "أكدال"),
            ("Fès-Médina", "فاس المدينة"),
            ("Jnan El Ouard", "جنان الورد"),
            ("Marinides", "المرينيين"),
            ("Saïss", "سايس"),
            ("Zouagha", "زواغة"),
        ],
    },
    {
        "slug": "saida",
        "name_en": "Saida",
        "name_fr": "Saïda",
        "name_ar": "صيدا",
        "country": "LB",
        "default_language": "ar",
        "time_zone": "Asia/Beirut",
        "currency": "LBP",
        "districts": [
            ("Old City", "صيدا القديمة"),
            ("Al-Wastani", "الوسطاني"),
            ("Dekerman", "الدكرمان"),
            ("Haret Saida", "حارة صيدا"),
            ("Al-Bustan", "البستان"),
        ],
    },
]

STAFF_NAMES = {
    "fes": {
        "admin": "Nadia Benjelloun",
        "facilitator": "Youssef El Idrissi",
        "secretariat": "Salma Alaoui",
        "analyst": "Karim Tazi",
    },
    "saida": {
        "admin": "Rania Haddad",
        "facilitator": "Omar Bizri",
        "secretariat": "Lina Saad",
        "analyst": "Ziad Khalil",
    },
}


def demo_password() -> str:
    return secrets.token_urlsafe(12)


def seed_cities() -> list[City]:
    network, _ = Network.objects.get_or_create(slug="mena-youth", defaults={"name": "MENA youth cities network"})
    cities = []
    for spec in CITIES:
        spec = dict(spec)
        districts = spec.pop("districts")
        city, _ = City.objects.update_or_create(slug=spec["slug"], defaults=spec)
        city.networks.add(network)
        for name, name_ar in districts:
            District.objects.get_or_create(city=city, name=name, defaults={"name_ar": name_ar})
        cities.append(city)
    return cities


def seed_staff(city: City) -> tuple[dict[str, User], dict[str, str]]:
    """One user per role, with a fresh random password each run. Returns (users, passwords)."""
    users, passwords = {}, {}
    for role in Role.values:
        email = f"{role}@{city.slug}.majlis.test"
        user, _ = User.objects.get_or_create(email=email, defaults={"name": STAFF_NAMES[city.slug][role]})
        passwords[role] = demo_password()
        user.set_password(passwords[role])
        user.save(update_fields=["password"])
        StaffRole.objects.get_or_create(user=user, city=city, role=role)
        _verify_email(user)
        users[role] = user
    network = Network.objects.get(slug="mena-youth")
    network_admin, _ = User.objects.get_or_create(email="network@majlis.test", defaults={"name": "Network office"})
    network.administrators.add(network_admin)
    return users, passwords


def _verify_email(user: User) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})


def demo_token(user: User) -> str:
    """A fresh API token for the demo; earlier demo tokens of the user are revoked."""
    from django.utils import timezone

    user.api_tokens.filter(name="demo", revoked_at__isnull=True).update(revoked_at=timezone.now())
    _token, key = api_token_issue(user=user, name="demo")
    return key
