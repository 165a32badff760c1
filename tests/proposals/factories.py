"""Factories for funding calls and projects (money as Decimal, never float)."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from proposals.models import FundingCall, Project, ProjectProposal, TeamMember
from tests.factories import CityFactory, UserFactory


class FundingCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingCall

    city = factory.SubFactory(CityFactory)
    title = factory.Sequence(lambda n: f"Seed fund {n}")
    budget = Decimal("10000.00")
    currency = factory.LazyAttribute(lambda o: o.city.currency)
    cap_per_project = Decimal("5000.00")
    submission_deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


class ProjectProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectProposal
        skip_postgeneration_save = True

    call = factory.SubFactory(FundingCallFactory)
    title = factory.Sequence(lambda n: f"Project idea {n}")
    summary = "A youth-led project for the neighbourhood."
    team_name = factory.Sequence(lambda n: f"Team {n}")
    lead = factory.SubFactory(UserFactory)
    requested_amount = Decimal("3000.00")
    status = "submitted"

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if not create:
            return
        for index, (name, age) in enumerate(extracted if extracted is not None else [("Amina", 19), ("Youssef", 17)]):
            TeamMember.objects.create(proposal=obj, name=name, age=age, is_lead=index == 0)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    proposal = factory.SubFactory(ProjectProposalFactory, status="funded")
    call = factory.LazyAttribute(lambda o: o.proposal.call)
    city = factory.LazyAttribute(lambda o: o.proposal.call.city)
    title = factory.LazyAttribute(lambda o: o.proposal.title)
    grant = factory.LazyAttribute(lambda o: o.proposal.requested_amount)
    currency = factory.LazyAttribute(lambda o: o.proposal.call.currency)
