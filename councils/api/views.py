"""Council REST API. Member lists are personal data: the city's secretariat and administrators only, 404 for
everybody else."""

from django.http import Http404
from rest_framework import generics

from cities.permissions import cities_for_user

from ..models import Council, Membership
from ..permissions import COUNCIL_ROLES
from ..selectors import councils_for_listing
from .serializers import CouncilSerializer, MemberSerializer


class CouncilList(generics.ListAPIView):
    """Councils of the cities where the caller holds a staff role, with their number of seated members."""

    serializer_class = CouncilSerializer

    def get_queryset(self):
        return councils_for_listing(cities_for_user(self.request.user))


class CouncilMemberList(generics.ListAPIView):
    """Seated members of a council's current term (`?status=all` for every seat of every term)."""

    serializer_class = MemberSerializer

    def get_queryset(self):
        cities = cities_for_user(self.request.user, COUNCIL_ROLES)
        council = Council.objects.filter(pk=self.kwargs["pk"], city__in=cities).first()
        if council is None:
            raise Http404
        qs = Membership.objects.filter(term__council=council).select_related("person__district", "term")
        if self.request.query_params.get("status") != "all":
            term = council.current_term()
            qs = qs.filter(term=term, status__in=("active", "suspended"))
        return qs.prefetch_related("committees").order_by("person__full_name", "id")
