"""Request and response shapes of the live-session API (docs/api.md is the contract)."""

from rest_framework import serializers

from ..models import AgeBand, Consultation, Gender, ItemKind, JoinPolicy, Organisation, Phase, Session, VotingMethod


class JoinRequest(serializers.Serializer):
    consent = serializers.BooleanField()
    age_band = serializers.ChoiceField(choices=AgeBand.choices, required=False, allow_blank=True)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    district = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    organisation = serializers.ChoiceField(choices=Organisation.choices, required=False, allow_blank=True)
    language = serializers.CharField(required=False, allow_blank=True, max_length=8)
    device = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=64,
        help_text="A random id the client keeps (the join page keeps one in the browser): joining again with it "
        "returns the participant it joined as instead of a new one.",
    )
    room_code = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=16,
        help_text="The code the projector shows, which changes every minute (join policy 'rotating').",
    )
    card = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=32,
        help_text="The code of a printed one-time card (join policy 'cards').",
    )


class JoinResponse(serializers.Serializer):
    token = serializers.CharField()
    participant = serializers.IntegerField()
    session = serializers.DictField()
    state_url = serializers.CharField()
    websocket_url = serializers.CharField()
    resumed = serializers.BooleanField(
        help_text="True when the device id or the card had already joined: this is that same participant."
    )


class StateItem(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    text = serializers.CharField()
    status = serializers.CharField()
    votes = serializers.IntegerField(allow_null=True)
    answers = serializers.ListField(child=serializers.IntegerField())


class MergedItem(serializers.Serializer):
    id = serializers.IntegerField()
    into = serializers.IntegerField()


class StateResponse(serializers.Serializer):
    version = serializers.IntegerField()
    phase = serializers.ChoiceField(choices=Phase.choices)
    participants = serializers.IntegerField()
    results_visible = serializers.BooleanField()
    code = serializers.CharField()
    title = serializers.CharField()
    phases = serializers.ListField(child=serializers.CharField())
    locked = serializers.BooleanField()
    voting = serializers.DictField()
    items = StateItem(many=True)
    hidden = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the items moderation hid.")
    merged = MergedItem(many=True, help_text="Items merged into another: {id, into}.")


class ItemRequest(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    text = serializers.CharField(allow_blank=True, trim_whitespace=True, max_length=2000)
    answers = serializers.ListField(child=serializers.IntegerField(), required=False)
    theme = serializers.IntegerField(required=False, allow_null=True)


def item_body(item) -> dict:
    """An item as ItemResponse shapes it, without building the serializer."""
    return {"id": item.pk, "kind": item.kind, "text": item.text, "status": item.status, "flags": item.flags}


class ItemResponse(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    text = serializers.CharField()
    status = serializers.CharField()
    flags = serializers.ListField(child=serializers.CharField())


class VoteRequest(serializers.Serializer):
    item = serializers.IntegerField()
    points = serializers.IntegerField(required=False, default=1)


class VoteResponse(serializers.Serializer):
    item = serializers.IntegerField()
    points = serializers.IntegerField()
    changed = serializers.BooleanField()
    version = serializers.IntegerField(
        allow_null=True,
        help_text="The session's version with this ballot committed: every live state of this version or later "
        "includes it. null when nothing changed.",
    )


class WithdrawResponse(serializers.Serializer):
    item = serializers.IntegerField()
    withdrawn = serializers.BooleanField()


class PhaseRequest(serializers.Serializer):
    phase = serializers.ChoiceField(choices=Phase.choices)


class ModerationRequest(serializers.Serializer):
    action = serializers.ChoiceField(choices=["approve", "hide"])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=20)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class ModerationManyRequest(ModerationRequest):
    items = serializers.ListField(child=serializers.IntegerField(), allow_empty=True, max_length=10000)


class EditRequest(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


class MergeRequest(serializers.Serializer):
    into = serializers.IntegerField()


class FlagRequest(serializers.Serializer):
    value = serializers.BooleanField()


class ConsultationSerializer(serializers.ModelSerializer):
    city = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Consultation
        fields = [
            "id",
            "city",
            "title",
            "description",
            "starts_on",
            "ends_on",
            "is_public",
            "participants_may_be_minors",
            "ask_age_band",
            "ask_gender",
            "ask_district",
            "ask_organisation",
            "created_at",
        ]
        read_only_fields = ["id", "city", "created_at"]


class ConsultationCreate(serializers.Serializer):
    city = serializers.SlugField()
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    themes = serializers.ListField(child=serializers.CharField(max_length=120), required=False)
    participants_may_be_minors = serializers.BooleanField(required=False, default=True)


class SessionSerializer(serializers.ModelSerializer):
    consultation = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Session
        fields = [
            "id",
            "consultation",
            "title",
            "join_code",
            "phase",
            "phases",
            "challenge_voting_method",
            "proposal_voting_method",
            "dot_points",
            "dot_max_per_item",
            "premoderation",
            "capacity",
            "locked",
            "results_visible",
            "published_at",
            "place",
            "starts_at",
            "ends_at",
            "version",
            "join_policy",
        ]
        read_only_fields = [
            "id",
            "consultation",
            "join_code",
            "phase",
            "locked",
            "results_visible",
            "published_at",
            "version",
        ]


class SessionCreate(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    phases = serializers.ListField(child=serializers.ChoiceField(choices=Phase.choices), required=False)
    challenge_voting_method = serializers.ChoiceField(choices=VotingMethod.choices, required=False)
    proposal_voting_method = serializers.ChoiceField(choices=VotingMethod.choices, required=False)
    dot_points = serializers.IntegerField(required=False, min_value=1, max_value=100)
    dot_max_per_item = serializers.IntegerField(required=False, min_value=1, max_value=100)
    premoderation = serializers.BooleanField(required=False, allow_null=True, default=None)
    # The column is a 32-bit integer on PostgreSQL (and SQLite refuses 64-bit overflow): bounded, not a 500.
    capacity = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=1_000_000)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    join_policy = serializers.ChoiceField(choices=JoinPolicy.choices, required=False)


class JoinPolicyRequest(serializers.Serializer):
    join_policy = serializers.ChoiceField(choices=JoinPolicy.choices)


class CardsRequest(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=2000)


class CardsResponse(serializers.Serializer):
    cards = serializers.ListField(child=serializers.CharField(), help_text="Every card's code, oldest first.")
    used = serializers.IntegerField(help_text="How many of them admitted a participant.")


class RoomCodeResponse(serializers.Serializer):
    room_code = serializers.CharField()
    seconds_left = serializers.IntegerField(help_text="Until the next code (the current one is accepted 60 s more).")
    join_url = serializers.CharField(help_text="The join page's address with the room code, for a QR code.")


class SetAsideRequest(serializers.Serializer):
    participants = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=5000)
    restore = serializers.BooleanField(required=False, default=False)
