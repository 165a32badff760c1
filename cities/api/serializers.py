from rest_framework import serializers

from ..models import City, District


class DistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = ["id", "name", "name_ar"]


class CitySerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = City
        fields = [
            "id",
            "slug",
            "name",
            "name_en",
            "name_fr",
            "name_ar",
            "country",
            "default_language",
            "time_zone",
            "currency",
        ]


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField()
    cities = serializers.ListField(child=serializers.DictField())
