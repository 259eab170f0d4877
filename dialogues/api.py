"""The Sessions part of the v1 API (API.md "Sessions"). Views shape; services decide."""

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core import content
from core.api import (
    MAX_ID,
    BooleanField,
    IntegerField,
    TextField,
    TimeField,
    TranslationsField,
)
from dialogues import services, venue
from dialogues.calendar import ics_response, session_ics
from dialogues.models import OutcomeKind, RSVPResponse, Session, SessionFormat
from dialogues.selectors import (
    attendees_of,
    can_read_outcomes,
    outcomes_of,
    own_rsvp,
    program_access,
    sessions_of_program,
    sessions_of_program_for,
    sessions_visible_to,
)
from exchanges.api.serializers import conflict
from exchanges.selectors import programs_visible_to

# --- Fields ---


class UTCDateTimeField(TimeField):
    """Out: UTC with Z, to the second."""

    def to_representation(self, value):
        # isoformat, not strftime("%Y"): a year before 1000 keeps its four digits.
        return value.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


class FacilitatorsField(serializers.ListField):
    """User ids: written as a list, read from the session's prefetched facilitators."""

    child = IntegerField(min_value=1, max_value=MAX_ID)

    def get_attribute(self, instance):
        return [user.pk for user in instance.facilitators.all()]


# --- Serializers ---


SESSION_TEXTS = {"title": 200, "ground_rules": 5000}


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    program = serializers.IntegerField(source="program_id", read_only=True)
    title = TextField(max_length=200)
    format = serializers.ChoiceField(choices=SessionFormat.choices)
    starts_at = UTCDateTimeField(help_text=_(
        "With an offset. Within the program's dates (from its first day's 00:00 to the end "
        "of its last day, in the session's timezone), in the years 1900–2200; a session "
        "cannot be created or moved to start in the past."))
    ends_at = UTCDateTimeField(help_text=_("After starts_at, at most 24 hours later."))
    timezone = TextField(max_length=64, help_text=_(
        "An IANA name, e.g. Asia/Nicosia; an old name (US/Eastern) is stored as its zone "
        "(America/New_York)."))
    location = TextField(max_length=200, allow_blank=True, allow_null=True, required=False,
                         help_text=_(
        "Null before the venue is disclosed (see venue_disclosed_at)."))
    online_url = serializers.URLField(max_length=500, allow_blank=True, required=False,
                                      allow_null=True)
    capacity = IntegerField(min_value=1, allow_null=True, required=False)
    confidentiality = serializers.ChoiceField(
        choices=Session.Confidentiality.choices, required=False)
    ground_rules = TextField(max_length=5000, allow_blank=True, required=False)
    facilitators = FacilitatorsField(required=False)
    group = IntegerField(
        source="group_id", min_value=1, max_value=MAX_ID, allow_null=True, required=False,
        help_text=_("A group of this program: only its members may answer, get the "
                    "reminders and attend. Null: every accepted participant."))
    status = serializers.CharField(source="effective_status", read_only=True)
    venue_disclosed_at = UTCDateTimeField(read_only=True, allow_null=True, help_text=_(
        "When participants are shown location and online_url (the program's "
        "venue_disclosure_hours before starts_at); null when the program has no delay. "
        "Until then both are null for everyone but staff, custodians and the session's "
        "facilitators."))
    translations = TranslationsField(SESSION_TEXTS, required=False)

    def to_representation(self, session):
        data = super().to_representation(session)
        languages = self.context.get("languages") or session.program.languages
        data["translations"] = content.translations(session, languages)
        shown = self.context["access"].venue(session)
        data["location"] = None if shown.withheld else session.location
        data["online_url"] = shown.online_url
        return data

    def to_service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        for name in ("location", "online_url"):
            if name in data and data[name] is None:
                data[name] = ""
        if "group_id" in data:
            data["group"] = data.pop("group_id")
        return data


class RSVPOutSerializer(serializers.Serializer):
    response = serializers.ChoiceField(choices=RSVPResponse.choices)
    ground_rules_accepted_at = UTCDateTimeField(allow_null=True)


class AttendeeSerializer(serializers.Serializer):
    participant = serializers.DictField()
    side = serializers.CharField(allow_null=True)
    response = serializers.CharField()
    attended = serializers.BooleanField(allow_null=True)


class RSVPInSerializer(serializers.Serializer):
    response = serializers.ChoiceField(choices=RSVPResponse.choices)
    accept_ground_rules = BooleanField(required=False, default=False)


class CancelSerializer(serializers.Serializer):
    reason = TextField(max_length=500, allow_blank=True, required=False, default="")


class AttendanceItemSerializer(serializers.Serializer):
    participant = IntegerField(min_value=1, max_value=MAX_ID)
    attended = BooleanField(allow_null=True)


class OutcomeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=OutcomeKind.choices)
    text = TextField(max_length=5000)
    created_at = UTCDateTimeField(read_only=True)
    author = serializers.IntegerField(source="author_id", read_only=True, allow_null=True)


def attendee_json(rsvp) -> dict:
    return {
        "participant": {"id": rsvp.participant_id,
                        "display_name": rsvp.participant.display_name},
        "side": rsvp.side_name,
        "response": rsvp.response,
        "attended": rsvp.attended,
    }


# --- Views ---


def _session_for(request, pk) -> Session:
    return get_object_or_404(sessions_visible_to(request.user), pk=pk)


class ProgramSessionsView(generics.GenericAPIView):
    serializer_class = SessionSerializer

    def program(self):
        return get_object_or_404(programs_visible_to(self.request.user), pk=self.kwargs["pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no program
            return Session.objects.none()
        return sessions_of_program_for(self.request.user, self.program())

    @extend_schema(responses=SessionSerializer(many=True))
    def get(self, request, pk):
        program = self.program()
        page = self.paginate_queryset(sessions_of_program_for(request.user, program))
        context = {"access": program_access(request.user, program),
                   "languages": program.languages}
        return self.get_paginated_response(SessionSerializer(page, many=True,
                                                             context=context).data)

    @extend_schema(responses={201: SessionSerializer})
    def post(self, request, pk):
        program = self.program()
        access = program_access(request.user, program)
        if not access.is_staff:
            raise PermissionDenied()
        serializer = SessionSerializer(data=request.data, context={"access": access})
        serializer.is_valid(raise_exception=True)
        session = services.session_create(program=program, actor=request.user,
                                          **serializer.to_service_kwargs())
        session = sessions_of_program(program).get(pk=session.pk)
        return Response(SessionSerializer(session, context={"access": access}).data,
                        status=status.HTTP_201_CREATED)


class SessionDetailView(APIView):
    serializer_class = SessionSerializer

    def get(self, request, pk):
        session = _session_for(request, pk)
        access = program_access(request.user, session.program)
        return Response(SessionSerializer(session, context={"access": access}).data)

    @extend_schema(request=SessionSerializer(partial=True),
                   responses={200: SessionSerializer, 409: conflict("invalid_transition")})
    def patch(self, request, pk):
        session = _session_for(request, pk)
        access = program_access(request.user, session.program)
        if not access.can_run(session):
            raise PermissionDenied()
        serializer = SessionSerializer(data=request.data, partial=True,
                                       context={"access": access})
        serializer.is_valid(raise_exception=True)
        data = serializer.to_service_kwargs()
        facilitators = data.pop("facilitators", None)
        services.session_update(session=session, actor=request.user,
                                facilitators=facilitators, **data)
        session = sessions_visible_to(request.user).get(pk=pk)
        return Response(SessionSerializer(session, context={"access": access}).data)


class SessionCancelView(APIView):
    @extend_schema(request=CancelSerializer,
                   responses={200: SessionSerializer, 409: conflict("invalid_transition")})
    def post(self, request, pk):
        session = _session_for(request, pk)
        if not program_access(request.user, session.program).is_staff:
            raise PermissionDenied()
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.session_cancel(session=session, actor=request.user,
                                reason=serializer.validated_data["reason"])
        session = sessions_visible_to(request.user).get(pk=pk)
        access = program_access(request.user, session.program)
        return Response(SessionSerializer(session, context={"access": access}).data)


class SessionRSVPView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RSVPInSerializer, responses={
        200: RSVPOutSerializer,
        409: conflict("not_accepted", "not_in_group", "ground_rules_required",
                      "capacity_full", "invalid_transition")})
    def post(self, request, pk):
        session = _session_for(request, pk)
        serializer = RSVPInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rsvp = services.rsvp_respond(session=session, participant=request.user,
                                     **serializer.validated_data)
        accepted_at = rsvp.ground_rules_accepted_at
        return Response({
            "response": rsvp.response,
            "ground_rules_accepted_at": UTCDateTimeField().to_representation(accepted_at)
            if accepted_at else None,
        })


class _RunSessionView(APIView):
    """Endpoints for the program's staff and the session's facilitators."""

    permission_classes = [IsAuthenticated]

    def session(self, request, pk) -> Session:
        session = _session_for(request, pk)
        if not program_access(request.user, session.program).can_run(session):
            raise PermissionDenied()
        return session


class SessionAttendeesView(_RunSessionView):
    @extend_schema(responses=AttendeeSerializer(many=True))
    def get(self, request, pk):
        session = _session_for(request, pk)  # custodians read it too
        if not program_access(request.user, session.program).can_read(session):
            raise PermissionDenied()
        return Response([attendee_json(r) for r in attendees_of(session)])


class SessionAttendanceView(_RunSessionView):
    @extend_schema(request=AttendanceItemSerializer(many=True),
                   responses={200: AttendeeSerializer(many=True),
                              409: conflict("invalid_transition")})
    def post(self, request, pk):
        session = self.session(request, pk)
        if not isinstance(request.data, list):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Send a list of {participant, attended}.")]})
        items = [AttendanceItemSerializer(data=item) for item in request.data]
        if not all([item.is_valid() for item in items]):
            return Response([item.errors for item in items], status=status.HTTP_400_BAD_REQUEST)
        try:
            services.attendance_mark(session=session, actor=request.user,
                                     marks=[item.validated_data for item in items])
        except services.ItemErrors as exc:
            return Response(exc.items, status=status.HTTP_400_BAD_REQUEST)
        return Response([attendee_json(r) for r in attendees_of(session)])


class SessionOutcomesView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OutcomeSerializer

    @extend_schema(responses=OutcomeSerializer(many=True))
    def get(self, request, pk):
        session = _session_for(request, pk)
        access = program_access(request.user, session.program)
        if not can_read_outcomes(access, session, own_rsvp(request.user, session)):
            raise PermissionDenied()
        return Response(OutcomeSerializer(outcomes_of(session), many=True).data)

    @extend_schema(responses={201: OutcomeSerializer, 409: conflict("invalid_transition")})
    def post(self, request, pk):
        session = _session_for(request, pk)
        if not program_access(request.user, session.program).can_run(session):
            raise PermissionDenied()
        serializer = OutcomeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = services.outcome_record(session=session, actor=request.user,
                                          **serializer.validated_data)
        return Response(OutcomeSerializer(outcome).data, status=status.HTTP_201_CREATED)


class IgnoreAccept(BaseContentNegotiation):
    """The .ics answers text/calendar whatever the Accept header says."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class SessionCalendarView(APIView):
    renderer_classes = [JSONRenderer]  # errors only; the file itself is an HttpResponse
    content_negotiation_class = IgnoreAccept

    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        session = _session_for(request, pk)
        access = program_access(request.user, session.program)
        return ics_response(session_ics(venue.show(session, access.venue(session))),
                            f"session-{session.pk}.ics")
