"""`programs/{id}/reminders/`: the program's reminder schedule, as a bare array."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import IntegerField
from dialogues.models import ReminderKind
from dialogues.reminders.services import offset_problem, reminder_schedule, reminder_schedule_set
from exchanges.api.serializers import conflict
from exchanges.models import STAFF_ROLES, Program, Role
from exchanges.selectors import programs_visible_to, role_in


class ReminderRuleSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReminderKind.choices)
    offset_minutes = IntegerField()

    def validate(self, attrs):
        problem = offset_problem(attrs["kind"], attrs["offset_minutes"])
        if problem:
            raise serializers.ValidationError({"offset_minutes": [problem]})
        return attrs


def _as_json(rules) -> list[dict]:
    return [{"kind": kind, "offset_minutes": offset} for kind, offset in rules]


class ProgramRemindersView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ReminderRuleSerializer

    def _program(self, request, pk, *, roles) -> Program:
        program = get_object_or_404(programs_visible_to(request.user), pk=pk)
        if role_in(request.user, program.organization_id) not in roles:
            raise PermissionDenied()
        return program

    @extend_schema(responses=ReminderRuleSerializer(many=True))
    def get(self, request, pk):
        program = self._program(request, pk, roles=Role.values)
        return Response(_as_json(reminder_schedule(program)))

    @extend_schema(request=ReminderRuleSerializer(many=True),
                   responses={200: ReminderRuleSerializer(many=True),
                              409: conflict("invalid_transition")})
    def put(self, request, pk):
        program = self._program(request, pk, roles=STAFF_ROLES)
        if not isinstance(request.data, list):
            raise ValidationError({"non_field_errors": [
                _("Send a list of {kind, offset_minutes} items.")]})
        items = [ReminderRuleSerializer(data=item) for item in request.data]
        if not all([item.is_valid() for item in items]):
            # Per-item errors in input order ({} for a valid item), like attendance.
            return Response([item.errors for item in items], status=status.HTTP_400_BAD_REQUEST)
        rules = reminder_schedule_set(
            program=program, actor=request.user,
            rules=[(item.validated_data["kind"], item.validated_data["offset_minutes"])
                   for item in items],
        )
        return Response(_as_json(rules))
