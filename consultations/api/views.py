"""Live-session REST API, one view per operation. Every rule lives in services; these views translate."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cities.models import Role
from cities.permissions import cities_for_user

from .. import joins, selectors, services
from ..live import ingest
from ..live.limits import client_address
from ..models import Consultation, Item, Participant, Session
from ..models import ItemMerge as MergeRecord
from ..permissions import (
    can_watch_session,
    city_for_facilitator,
    consultation_for_facilitator,
    session_for_facilitator,
    session_item,
)
from ..tokens import PARTICIPANT_KEYWORD, claims_from_authorization, participant_from_token
from . import serializers as s

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="A client's unique key for this submission (1-255 characters). A retry with the same key returns "
    "the item created the first time (header Idempotent-Replayed: true) and creates nothing; the same key with "
    "another text answers 409 idempotency_key_reused.",
)
VOTE_IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Accepted and not needed: a ballot sets the points on an item, so sending it again changes nothing "
    '(200, "changed": false).',
)


def participant_from_header(request) -> Participant | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    keyword, _, token = header.partition(" ")
    if keyword.lower() != PARTICIPANT_KEYWORD or not token.strip():
        return None
    return participant_from_token(token.strip())


def road(answer: ingest.Answer) -> Response:
    """The one road's answer (consultations/live/ingest.py) as a DRF response."""
    return Response(answer.body, status=answer.status, headers=answer.headers)


def body_of(request):
    """What the road parses: the raw JSON body (its parser reads it, as for the fast path), else DRF's parsed data;
    a body DRF cannot parse is handed over as its error, which the road counts and answers."""
    if request.content_type.split(";")[0].strip().lower() in ("application/json", ""):
        return request.body
    try:
        return request.data
    except exceptions.APIException as error:
        return error


class SessionAPIView(APIView):
    """Base of the live-session views: resolves the code and the caller (domain errors answer through
    cities.api.exceptions, as everywhere in the API)."""

    permission_classes = [permissions.AllowAny]  # each view checks participant or staff access itself

    def session(self, code: str) -> Session:
        return services.session_by_code(code)

    def participant(self, request, session: Session) -> Participant:
        participant = participant_from_header(request)
        if participant is None:
            self.refuse_non_participant(request, session)
        if participant.session_id != session.pk:
            raise exceptions.PermissionDenied()
        return participant

    @staticmethod
    def refuse_non_participant(request, session: Session):
        """A caller without a valid participant token: 401 when anonymous; for a signed-in account, 403 if it is
        staff of the session's city (it may know the session, it is just not a participant) and 404 otherwise,
        as for every object of a city the account holds no role in."""
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        if can_watch_session(request.user, session):
            raise exceptions.PermissionDenied()
        raise Http404

    def caller(self, request, code: str, **extra) -> ingest.Caller:
        """The caller of a participant operation, from its signed token without a database query (the road checks
        it against the code). A signed-in account without one is refused here as every participant operation
        refuses it; anybody else without a valid token gets the road's 401."""
        claims = claims_from_authorization(request.META.get("HTTP_AUTHORIZATION", ""))
        if claims is None and request.user.is_authenticated:
            self.refuse_non_participant(request, self.session(code))
        return ingest.Caller(code=code, address=client_address(request), participant=claims, **extra)

    def staff_session(self, request, code: str) -> Session:
        """The session, for a facilitator of its city; 401 when anonymous, 404 for everybody else."""
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        return session_for_facilitator(request.user, code)

    def staff_item(self, session: Session, item_id: int) -> Item:
        return session_item(session, item_id)


class SessionJoin(SessionAPIView):
    """Served by the one road (consultations/live/ingest.py), as the fast path serves it."""

    @extend_schema(request=s.JoinRequest, responses={201: s.JoinResponse}, auth=[])
    def post(self, request, code):
        headers = ingest.JoinHeaders(
            content_type=request.META.get("CONTENT_TYPE", ""),
            origin=request.META.get("HTTP_ORIGIN"),
            scheme=request.scheme,
            host=request.get_host(),
        )
        caller = ingest.Caller(code=code, address=client_address(request), join_headers=headers)
        return road(ingest.perform(ingest.JOIN, caller, body_of(request)))


class SessionState(SessionAPIView):
    @extend_schema(responses=s.StateResponse)
    def get(self, request, code):
        session = self.session(code)
        if request.user.is_authenticated and can_watch_session(request.user, session):
            audience = selectors.STAFF
        elif request.user.is_authenticated and participant_from_header(request) is None:
            raise Http404  # staff of another city: the session is not theirs to see
        else:
            self.participant(request, session)
            audience = selectors.PUBLIC
        return Response(selectors.session_state(session, audience=audience))


class ParticipantMe(SessionAPIView):
    @extend_schema(responses={200: OpenApiResponse(description="The participant's own items, ballots and points left")})
    def get(self, request, code):
        session = self.session(code)
        return Response(selectors.participant_view(self.participant(request, session)))


class ItemSubmit(SessionAPIView):
    @extend_schema(request=s.ItemRequest, responses={201: s.ItemResponse}, parameters=[IDEMPOTENCY_KEY])
    def post(self, request, code):
        participant = self.participant(request, self.session(code))  # a token of an erased participant: 401
        caller = ingest.Caller(
            code=code,
            address=client_address(request),
            participant=(participant.pk, participant.session_id),
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return road(ingest.perform(ingest.SUBMIT, caller, body_of(request)))


class VoteCast(SessionAPIView):
    """The hot path of a live room: no database query in the request thread; the ballot goes through the one road
    to the writer (group commit) and is acknowledged once committed."""

    @extend_schema(
        request=s.VoteRequest, responses={200: s.VoteResponse, 201: s.VoteResponse}, parameters=[VOTE_IDEMPOTENCY]
    )
    def post(self, request, code):
        return road(ingest.perform(ingest.VOTE, self.caller(request, code), body_of(request)))


class VoteWithdraw(SessionAPIView):
    @extend_schema(responses={200: s.WithdrawResponse})
    def delete(self, request, code, item_id):
        return road(ingest.perform(ingest.WITHDRAW, self.caller(request, code), {"item": item_id}))


# --- Staff --------------------------------------------------------------------------------------------------


class SessionPhase(SessionAPIView):
    @extend_schema(request=s.PhaseRequest, responses=s.StateResponse)
    def post(self, request, code):
        session = self.staff_session(request, code)
        data = s.PhaseRequest(data=request.data)
        data.is_valid(raise_exception=True)
        services.session_set_phase(session=session, phase=data.validated_data["phase"], actor=request.user)
        return Response(selectors.session_state(session, audience=selectors.STAFF))


class ItemModeration(SessionAPIView):
    @extend_schema(request=s.ModerationRequest, responses=s.ItemResponse)
    def post(self, request, code, item_id):
        session = self.staff_session(request, code)
        data = s.ModerationRequest(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = services.item_moderate(
            item=self.staff_item(session, item_id),
            action=values["action"],
            reason=values.get("reason", ""),
            note=values.get("note", ""),
            actor=request.user,
        )
        return Response(s.item_body(item))


class ItemsModeration(SessionAPIView):
    """Approve or hide many items at once (services.items_moderate: one transaction, one version)."""

    @extend_schema(
        operation_id="sessions_items_moderation_many",  # beside items/<id>/moderation, which has the path's own id
        request=s.ModerationManyRequest,
        responses={200: OpenApiResponse(description='{"items": [item]}')},
    )
    def post(self, request, code):
        session = self.staff_session(request, code)
        data = s.ModerationManyRequest(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        items = services.items_moderate(
            session=session,
            item_ids=values["items"],
            action=values["action"],
            reason=values.get("reason", ""),
            note=values.get("note", ""),
            actor=request.user,
        )
        return Response({"items": [s.item_body(item) for item in items]})


class ModerationBoard(SessionAPIView):
    """What the console moderates: every item once, suggestions of duplicates, recent merges (selectors)."""

    @extend_schema(responses={200: OpenApiResponse(description="The moderation board (docs/api.md)")})
    def get(self, request, code):
        return Response(selectors.moderation_board(self.staff_session(request, code)))


class MergeUndo(SessionAPIView):
    """Undo a merge (services.items_merge_undo)."""

    @extend_schema(request=None, responses={200: OpenApiResponse(description="The items and what was restored")})
    def post(self, request, code, merge_id):
        session = self.staff_session(request, code)
        merge = MergeRecord.objects.filter(pk=merge_id, session=session).first()
        if merge is None:
            raise Http404
        done = services.items_merge_undo(merge=merge, actor=request.user)
        return Response(
            {
                "merge": merge.pk,
                "source": s.item_body(done.merge.source),
                "target": s.item_body(done.merge.target),
                "restored": done.restored,
                "not_restored": done.not_restored,
            }
        )


class ItemEdit(SessionAPIView):
    @extend_schema(request=s.EditRequest, responses=s.ItemResponse)
    def post(self, request, code, item_id):
        session = self.staff_session(request, code)
        data = s.EditRequest(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.item_edit(
            item=self.staff_item(session, item_id), text=data.validated_data["text"], actor=request.user
        )
        return Response(s.item_body(item))


class ItemMerge(SessionAPIView):
    @extend_schema(request=s.MergeRequest, responses=s.ItemResponse)
    def post(self, request, code, item_id):
        session = self.staff_session(request, code)
        data = s.MergeRequest(data=request.data)
        data.is_valid(raise_exception=True)
        target = services.items_merge(
            source=self.staff_item(session, item_id),
            target=self.staff_item(session, data.validated_data["into"]),
            actor=request.user,
        )
        return Response({**s.item_body(target), "merge": target.merge_id})


class SessionLock(SessionAPIView):
    @extend_schema(request=s.FlagRequest, responses=s.StateResponse)
    def post(self, request, code):
        session = self.staff_session(request, code)
        data = s.FlagRequest(data=request.data)
        data.is_valid(raise_exception=True)
        services.session_set_lock(session=session, locked=data.validated_data["value"], actor=request.user)
        return Response(selectors.session_state(session, audience=selectors.STAFF))


class SessionResultsVisibility(SessionAPIView):
    @extend_schema(request=s.FlagRequest, responses=s.StateResponse)
    def post(self, request, code):
        session = self.staff_session(request, code)
        data = s.FlagRequest(data=request.data)
        data.is_valid(raise_exception=True)
        services.session_show_results(session=session, visible=data.validated_data["value"], actor=request.user)
        return Response(selectors.session_state(session, audience=selectors.STAFF))


class SessionRotateCode(SessionAPIView):
    @extend_schema(request=None, responses=s.SessionSerializer)
    def post(self, request, code):
        session = services.session_rotate_code(session=self.staff_session(request, code), actor=request.user)
        return Response(s.SessionSerializer(session).data)


class SessionPublish(SessionAPIView):
    @extend_schema(request=None, responses=s.SessionSerializer)
    def post(self, request, code):
        session = services.session_publish(session=self.staff_session(request, code), actor=request.user)
        return Response(s.SessionSerializer(session).data)


class SessionJoinPolicy(SessionAPIView):
    """The facilitator chooses who may join (consultations/joins.py)."""

    @extend_schema(request=s.JoinPolicyRequest, responses=s.SessionSerializer)
    def post(self, request, code):
        session = self.staff_session(request, code)
        data = s.JoinPolicyRequest(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.session_configure(
            session=session, actor=request.user, join_policy=data.validated_data["join_policy"]
        )
        return Response(s.SessionSerializer(session).data)


class SessionCards(SessionAPIView):
    """The session's printed one-time cards: GET lists them, POST creates more."""

    def answer(self, session: Session) -> dict:
        cards = list(session.join_cards.values_list("code", "participant_id"))
        return {"cards": [c for c, _p in cards], "used": sum(p is not None for _c, p in cards)}

    @extend_schema(responses=s.CardsResponse)
    def get(self, request, code):
        return Response(self.answer(self.staff_session(request, code)))

    @extend_schema(request=s.CardsRequest, responses={201: s.CardsResponse})
    def post(self, request, code):
        session = self.staff_session(request, code)
        data = s.CardsRequest(data=request.data)
        data.is_valid(raise_exception=True)
        joins.cards_create(session=session, count=data.validated_data["count"], actor=request.user)
        return Response(self.answer(session), status=status.HTTP_201_CREATED)


class SessionRoomCode(SessionAPIView):
    """The room code the projector shows now (join policy 'rotating')."""

    @extend_schema(responses=s.RoomCodeResponse)
    def get(self, request, code):
        session = self.staff_session(request, code)
        room = joins.room_code(session.pk)
        return Response(
            {
                "room_code": room,
                "seconds_left": joins.room_code_seconds_left(),
                "join_url": request.build_absolute_uri(f"/j/{session.join_code}/?room={room}"),
            }
        )


class SessionJoinClusters(SessionAPIView):
    """Suspicious joins: places with many joins in a short time or identical ballots (joins.join_clusters)."""

    @extend_schema(responses={200: OpenApiResponse(description="Clusters of joins from one place, busiest first")})
    def get(self, request, code):
        session = self.staff_session(request, code)
        return Response({"window_seconds": joins.CLUSTER_WINDOW, "clusters": joins.join_clusters(session)})


class SessionSetAside(SessionAPIView):
    """Set participants' ballots aside (they stop counting), or count them again with "restore": true."""

    @extend_schema(request=s.SetAsideRequest, responses={200: OpenApiResponse(description='{"participants": n}')})
    def post(self, request, code):
        session = self.staff_session(request, code)
        data = s.SetAsideRequest(data=request.data)
        data.is_valid(raise_exception=True)
        change = joins.participants_restore if data.validated_data["restore"] else joins.participants_set_aside
        n = change(session=session, participant_ids=data.validated_data["participants"], actor=request.user)
        return Response({"participants": n, "join": joins.join_summary(session)})


class SessionResults(SessionAPIView):
    @extend_schema(
        responses={200: OpenApiResponse(description="Ranked items, breakdowns under disclosure control, consensus")}
    )
    def get(self, request, code):
        session = self.session(code)
        if not (request.user.is_authenticated and can_watch_session(request.user, session)):
            participant = self.participant(request, session)
            if not participant.session.results_visible:
                raise exceptions.PermissionDenied()
        # How people joined (the policy, what each policy admitted, ballots set aside): an added key.
        return Response({**selectors.session_results(session), "join": joins.join_summary(session)})


class ConsultationList(SessionAPIView):
    """Consultations of the cities where the caller is a facilitator; POST creates one."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=s.ConsultationSerializer(many=True))
    def get(self, request):
        cities = cities_for_user(request.user, [Role.FACILITATOR, Role.ANALYST])
        consultations = Consultation.objects.filter(city__in=cities).select_related("city")
        return Response(s.ConsultationSerializer(consultations, many=True).data)

    @extend_schema(request=s.ConsultationCreate, responses={201: s.ConsultationSerializer})
    def post(self, request):
        data = s.ConsultationCreate(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        city = city_for_facilitator(request.user, values.pop("city"))
        consultation = services.consultation_create(city=city, created_by=request.user, **values)
        return Response(s.ConsultationSerializer(consultation).data, status=status.HTTP_201_CREATED)


class ConsultationSessions(SessionAPIView):
    permission_classes = [permissions.IsAuthenticated]

    def consultation(self, request, pk) -> Consultation:
        return consultation_for_facilitator(request.user, pk)

    @extend_schema(responses=s.SessionSerializer(many=True))
    def get(self, request, pk):
        return Response(s.SessionSerializer(self.consultation(request, pk).sessions.all(), many=True).data)

    @extend_schema(request=s.SessionCreate, responses={201: s.SessionSerializer})
    def post(self, request, pk):
        consultation = self.consultation(request, pk)
        data = s.SessionCreate(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.session_create(consultation=consultation, created_by=request.user, **data.validated_data)
        return Response(s.SessionSerializer(session).data, status=status.HTTP_201_CREATED)
