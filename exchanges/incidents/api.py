"""The incidents part of the v1 API (API.md "Safety"). Views shape; services decide.

A program the caller cannot see, and an incident they may not see, answer 404; on a
program they can see, reporting without being a member or an accepted participant, and
changing an incident they reported but do not work, answer 403.
"""

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import MAX_ID, BooleanField, IntegerField, TextField, TimeField
from exchanges.api.views import StrictFilterSet
from exchanges.incidents import selectors, services
from exchanges.models import Incident, IncidentKind, IncidentStatus, Program
from exchanges.models.incidents import MAX_DESCRIPTION, MAX_RESOLUTION
from exchanges.selectors import programs_visible_to, role_in

# --- Shapes ---------------------------------------------------------------------------------


class IncidentSerializer(serializers.ModelSerializer):
    reporter = serializers.SerializerMethodField(help_text=_(
        "The reporter's user id; null for owners when the report is anonymous (custodians "
        "and the reporter always see it)."))
    resolution = serializers.SerializerMethodField(help_text=_(
        "For custodians and owners; null for the reporter."))
    created_at = TimeField(read_only=True)
    updated_at = TimeField(read_only=True)
    closed_at = TimeField(read_only=True, allow_null=True)

    class Meta:
        model = Incident
        fields = ["id", "program", "kind", "description", "about", "anonymous", "status",
                  "resolution", "reporter", "created_at", "updated_at", "closed_at"]
        read_only_fields = fields

    def _role(self, incident: Incident) -> str | None:
        roles = self.context.setdefault("roles", {})
        organization_id = incident.program.organization_id
        if organization_id not in roles:
            roles[organization_id] = role_in(self.context["request"].user, organization_id)
        return roles[organization_id]

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_reporter(self, incident: Incident) -> int | None:
        viewer = self.context["request"].user
        shown = selectors.shows_reporter(incident, viewer, self._role(incident))
        return incident.reporter_id if shown else None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_resolution(self, incident: Incident) -> str | None:
        works = self._role(incident) in selectors.INCIDENT_ROLES
        return incident.resolution if works else None


class IncidentCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IncidentKind.choices)
    description = TextField(max_length=MAX_DESCRIPTION, help_text=_(
        "What happened. Read by the organization's custodians and owners only."))
    about = IntegerField(min_value=1, max_value=MAX_ID, allow_null=True, required=False,
                         help_text=_("The user id of the person it is about: someone who "
                                     "applied to the program or a member of its "
                                     "organization."))
    anonymous = BooleanField(required=False, default=False, help_text=_(
        "True: owners are not told who reported it (custodians are)."))


class IncidentUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    resolution = TextField(max_length=MAX_RESOLUTION, allow_blank=True, required=False,
                           help_text=_("Required (now or before) to close the incident."))


class IncidentFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=IncidentStatus.choices)

    class Meta:
        model = Incident
        fields = ["status"]


# --- Views ----------------------------------------------------------------------------------


def _program(request, pk) -> Program:
    return get_object_or_404(programs_visible_to(request.user).prefetch_related(None), pk=pk)


class ProgramIncidentsView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Incident.objects.none()
        program = _program(self.request, self.kwargs["pk"])
        return selectors.program_incidents(self.request.user, program)

    @extend_schema(request=IncidentCreateSerializer, responses={201: IncidentSerializer})
    def post(self, request, pk):
        program = _program(request, pk)
        serializer = IncidentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = services.incident_report(program=program, reporter=request.user,
                                            **serializer.validated_data)
        data = IncidentSerializer(incident, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class IncidentDetailView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = IncidentSerializer

    def _incident(self, request, pk) -> Incident:
        return get_object_or_404(selectors.incidents_visible_to(request.user), pk=pk)

    def get(self, request, pk):
        incident = self._incident(request, pk)
        return Response(IncidentSerializer(incident, context={"request": request}).data)

    @extend_schema(request=IncidentUpdateSerializer, responses={200: IncidentSerializer})
    def patch(self, request, pk):
        incident = self._incident(request, pk)
        serializer = IncidentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = services.incident_update(incident=incident, actor=request.user,
                                            **serializer.validated_data)
        return Response(IncidentSerializer(incident, context={"request": request}).data)
