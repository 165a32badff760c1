from rest_framework import serializers

from ..models import Council, Membership


class CouncilSerializer(serializers.ModelSerializer):
    city = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    members_count = serializers.IntegerField(read_only=True, help_text="Seated members of the current term.")

    class Meta:
        model = Council
        fields = ["id", "city", "name", "seat_count", "members_count"]


class MemberSerializer(serializers.ModelSerializer):
    """A seat and its holder. Personal data: only for the city's secretariat and administrators."""

    full_name = serializers.CharField(source="person.full_name", read_only=True)
    gender = serializers.CharField(source="person.gender", read_only=True)
    age_band = serializers.CharField(source="person.current_age_band", read_only=True)
    district = serializers.CharField(source="person.district.name", read_only=True, default=None)
    phone = serializers.CharField(source="person.phone", read_only=True)
    email = serializers.CharField(source="person.email", read_only=True)
    term = serializers.CharField(source="term.name", read_only=True)
    committees = serializers.SlugRelatedField(many=True, slug_field="name", read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "full_name",
            "gender",
            "age_band",
            "district",
            "phone",
            "email",
            "term",
            "role",
            "status",
            "selection_method",
            "starts_on",
            "ends_on",
            "committees",
        ]
