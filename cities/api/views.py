from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import City, StaffRole
from .serializers import CitySerializer, MeSerializer


class CityList(generics.ListAPIView):
    """Every city on the platform (public information)."""

    permission_classes = [permissions.AllowAny]
    serializer_class = CitySerializer
    queryset = City.objects.all()


class Me(APIView):
    """The signed-in staff user and their roles per city."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        roles: dict[str, list[str]] = {}
        for slug, role in StaffRole.objects.filter(user=request.user).values_list("city__slug", "role"):
            roles.setdefault(slug, []).append(role)
        data = {
            "email": request.user.email,
            "name": request.user.name,
            "cities": [{"slug": slug, "roles": sorted(r)} for slug, r in sorted(roles.items())],
        }
        return Response(MeSerializer(data).data)
