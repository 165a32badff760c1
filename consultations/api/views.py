"""Live-session REST API, one view per operation. Every rule lives in services; these views translate."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cities.models import Role
from cities.permissions import cities_for_user

from .. import joins, selectors, services
from ..ballot_box import ballot_box
from ..errors import SessionError
from ..models import Consultation, Item, Participant, Session
from ..permissions import (
    can_watch_session,
    city_for_facilitator,
    consultation_for_facilitator,
    session_for_facilitator,
    session_item,
)
from ..throttles import JoinThrottle, SubmissionThrottle, VoteThrottle, client_address
from ..tokens import participant_claims, participant_from_token, participant_token
from . import serializers as s

PARTICIPANT_KEYWORD = "participant"

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


def join_answer(participant: Participant) -> dict:
    """The body of a successful join (also written by the fast path, consultations/fastpath.py)."""
    session = participant.session
    return {
        "token": participant_token(participant),
        "participant": participant.pk,
        "session": {"id": session.pk, "code": session.join_code, "title": session.title},
        "state_url": f"/api/v1/sessions/{session.join_code}/state",
        "websocket_url": f"/ws/sessions/{session.join_code}/",
        "resumed": getattr(participant, "resumed", False),
    }


class SessionAPIView(APIView):
    """Base of the live-session views: resolves the code and turns domain errors into 4xx answers."""

    permission_classes = [permissions.AllowAny]  # each view checks participant or staff access itself

    def handle_exception(self, exc):
        if isinstance(exc, SessionError):
            return Response({"detail": str(exc.message), "code": exc.code}, status=exc.status_code)
        return super().handle_exception(exc)

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

    def participant_from_claims(self, request, code: str) -> Participant:
        """A bare participant from the signed token, checked against the code without a database query
        (the code's session id is cached; the participant's existence is checked by the service)."""
        keyword, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        claims = participant_claims(token.strip()) if keyword.lower() == PARTICIPANT_KEYWORD else None
        if claims is None:
            # Not a participant: refused as every participant operation refuses (the ASGI fast path hands such
            # requests to Django). Only here does a vote cost a query (the session, for a signed-in caller).
            if not request.user.is_authenticated:
                raise exceptions.NotAuthenticated()
            self.refuse_non_participant(request, self.session(code))
        participant_id, session_id = claims
        if services.session_id_for_code(code) != session_id:
            raise exceptions.PermissionDenied()
        return Participant(pk=participant_id, session_id=session_id)

    def staff_session(self, request, code: str) -> Session:
        """The session, for a facilitator of its city; 401 when anonymous, 404 for everybody else."""
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        return session_for_facilitator(request.user, code)

    def staff_item(self, session: Session, item_id: int) -> Item:
        return session_item(session, item_id)


class SessionJoin(SessionAPIView):
    throttle_classes = [JoinThrottle]  # per session and address, per session (consultations/throttles.py)
    parser_classes = [JSONParser]  # never a form: joins.join_request_refusal

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # counted by the throttle first, as the fast path counts
        refusal = joins.join_request_refusal(
            content_type=request.META.get("CONTENT_TYPE", ""), origin=request.META.get("HTTP_ORIGIN"),
            scheme=request.scheme, host=request.get_host(),
        )  # fmt: skip
        if refusal is not None:
            raise refusal

    @extend_schema(request=s.JoinRequest, responses={201: s.JoinResponse}, auth=[])
    def post(self, request, code):
        data = s.JoinRequest(data=request.data)
        data.is_valid(raise_exception=True)
        participant = ballot_box.run(
            services.participant_join, code=code, address=client_address(request), **data.validated_data
        )
        return Response(join_answer(participant), status=status.HTTP_201_CREATED)


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
    throttle_classes = [SubmissionThrottle]

    @extend_schema(request=s.ItemRequest, responses={201: s.ItemResponse}, parameters=[IDEMPOTENCY_KEY])
    def post(self, request, code):
        session = self.session(code)
        participant = self.participant(request, session)
        data = s.ItemRequest(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key")
        if key is None:
            item, created = services.item_submit(participant=participant, **data.validated_data), True
        else:
            item, created = services.item_submit_once(
                participant=participant, idempotency_key=key, **data.validated_data
            )
        response = Response(
            {"id": item.pk, "kind": item.kind, "text": item.text, "status": item.status, "flags": item.flags},
            status=status.HTTP_201_CREATED,
        )
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


class VoteCast(SessionAPIView):
    """The hot path of a live room: no database query in the request thread; the ballot goes through the
    process's ballot box (group commit) and is acknowledged once committed."""

    throttle_classes = [VoteThrottle]  # keyed on the token's ids: still no database query

    @extend_schema(
        request=s.VoteRequest, responses={200: s.VoteResponse, 201: s.VoteResponse}, parameters=[VOTE_IDEMPOTENCY]
    )
    def post(self, request, code):
        participant = self.participant_from_claims(request, code)
        data = s.VoteRequest(data=request.data)
        data.is_valid(raise_exception=True)
        result = ballot_box.run(
            services.vote_cast,
            participant=participant,
            item_id=data.validated_data["item"],
            points=data.validated_data["points"],
        )
        return Response(
            {
                "item": result.ballot.item_id,
                "points": result.ballot.points,
                "changed": result.changed,
                "version": result.version,
            },
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class VoteWithdraw(SessionAPIView):
    throttle_classes = [VoteThrottle]

    @extend_schema(responses={200: s.WithdrawResponse})
    def delete(self, request, code, item_id):
        participant = self.participant_from_claims(request, code)
        withdrawn = ballot_box.run(services.vote_withdraw, participant=participant, item_id=item_id)
        return Response({"item": int(item_id), "withdrawn": withdrawn})


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
        item = services.item_moderate(
            item=self.staff_item(session, item_id), action=data.validated_data["action"], actor=request.user
        )
        return Response({"id": item.pk, "kind": item.kind, "text": item.text, "status": item.status,
                         "flags": item.flags})  # fmt: skip


class ItemEdit(SessionAPIView):
    @extend_schema(request=s.EditRequest, responses=s.ItemResponse)
    def post(self, request, code, item_id):
        session = self.staff_session(request, code)
        data = s.EditRequest(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.item_edit(item=self.staff_item(session, item_id), text=data.validated_data["text"],
                                  actor=request.user)  # fmt: skip
        return Response({"id": item.pk, "kind": item.kind, "text": item.text, "status": item.status,
                         "flags": item.flags})  # fmt: skip


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
        return Response({"id": target.pk, "kind": target.kind, "text": target.text, "status": target.status,
                         "flags": target.flags})  # fmt: skip


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
        return Response({
            "room_code": room,
            "seconds_left": joins.room_code_seconds_left(),
            "join_url": request.build_absolute_uri(f"/j/{session.join_code}/?room={room}"),
        })  # fmt: skip


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
