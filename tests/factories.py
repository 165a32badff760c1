"""factory_boy factories shared by the whole suite. Each app's tests may add their own next to them."""

import factory
from django.utils import timezone

from cities.models import City, District, Role, StaffRole, User
from consultations.models import Consultation, Item, ItemKind, ItemStatus, Participant, Session


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Faker("name")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or "correct horse battery")
        if create:
            obj.save(update_fields=["password"])


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"city-{n}")
    name_en = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    name_fr = factory.LazyAttribute(lambda o: o.name_en)
    name_ar = "مدينة"
    country = "MA"
    default_language = "ar"
    time_zone = "Africa/Casablanca"
    currency = "MAD"


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    city = factory.SubFactory(CityFactory)
    name = factory.Sequence(lambda n: f"District {n}")


class StaffRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffRole

    user = factory.SubFactory(UserFactory)
    city = factory.SubFactory(CityFactory)
    role = Role.FACILITATOR


class ConsultationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consultation

    city = factory.SubFactory(CityFactory)
    title = factory.Sequence(lambda n: f"Consultation {n}")


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    consultation = factory.SubFactory(ConsultationFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    join_code = factory.Sequence(lambda n: "".join("ACDEFGHJKMNPQRTWXY34679"[(n // 23**i) % 23] for i in range(6)))
    premoderation = False


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    session = factory.SubFactory(SessionFactory)
    consented_at = factory.LazyFunction(timezone.now)


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    session = factory.SubFactory(SessionFactory)
    kind = ItemKind.CHALLENGE
    text = factory.Sequence(lambda n: f"Item number {n}")
    status = ItemStatus.APPROVED
