"""The Groups part of the v1 API (API.md "Groups"). Views shape; services decide."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import MAX_ID, BooleanField, IntegerField
from dialogues.api import UTCDateTimeField
from dialogues.groups import selectors, services, solver
from dialogues.models import DialogueGroup
from dialogues.models.groups import MAX_GROUP_SIZE, MIN_GROUP_SIZE
from dialogues.selectors import program_access
from exchanges.api.serializers import conflict
from exchanges.models import Program
from exchanges.selectors import programs_visible_to

RULES = [(solver.SIZE, _("size")), (solver.SIDE, _("side")),
         (solver.LANGUAGE, _("language")), (solver.INSTITUTION, _("institution"))]

# --- Shapes ---------------------------------------------------------------------------------


class GroupParticipantSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="participant_id")
    display_name = serializers.CharField()


class GroupMemberSerializer(serializers.Serializer):
    participant = GroupParticipantSerializer(source="*")
    side = serializers.IntegerField(source="side_id", allow_null=True,
                                    help_text=_("The side's id."))
    locked = serializers.BooleanField()


class DialogueGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    members = GroupMemberSerializer(many=True)


class GroupViolationSerializer(serializers.Serializer):
    group = serializers.IntegerField(allow_null=True,
                                     help_text=_("The group's id; null for the whole round."))
    rule = serializers.ChoiceField(choices=RULES)
    detail = serializers.CharField()


class GroupStatsSerializer(serializers.Serializer):
    groups = serializers.IntegerField()
    participants = serializers.IntegerField()
    new_cross_side_pairs = serializers.IntegerField(
        help_text=_("Pairs from different sides who share a group here and in no earlier "
                    "round."))
    repeated_pairs = serializers.IntegerField(
        help_text=_("Pairs (of any sides) who shared a group in an earlier round too."))
    violations = GroupViolationSerializer(many=True)
    moved = serializers.IntegerField(
        allow_null=True, help_text=_("After a repair: people moved from one group to "
                                     "another. Null otherwise."))


class GroupRoundSerializer(serializers.Serializer):
    round = serializers.IntegerField(source="number")
    created_at = UTCDateTimeField()
    groups = DialogueGroupSerializer(many=True)
    stats = GroupStatsSerializer(allow_null=True, help_text=_("Staff only; null otherwise."))


class GroupRoundsSerializer(serializers.Serializer):
    rounds = GroupRoundSerializer(many=True)


class GroupRoundCreateSerializer(serializers.Serializer):
    size = IntegerField(min_value=MIN_GROUP_SIZE, max_value=MAX_GROUP_SIZE)
    languages = BooleanField(required=False, default=True)
    max_per_institution = IntegerField(
        min_value=1, max_value=services.MAX_INSTITUTION_LIMIT, allow_null=True, required=False,
        default=2, help_text=_("Null: no limit."))
    rotate = BooleanField(required=False, default=False)


class GroupMoveSerializer(serializers.Serializer):
    participant = IntegerField(min_value=1, max_value=MAX_ID,
                                           help_text=_("The user id of an accepted participant."))
    locked = BooleanField(required=False, default=False)


def _round_json(program: Program, number: int, *, moved: int | None = None) -> dict:
    [view] = selectors.program_rounds(program, with_stats=True, only=number)
    view.stats.moved = moved
    return GroupRoundSerializer(view).data


# --- Views ----------------------------------------------------------------------------------


def _program(request, pk) -> Program:
    return get_object_or_404(programs_visible_to(request.user), pk=pk)


class ProgramGroupsView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = GroupRoundCreateSerializer

    @extend_schema(responses=GroupRoundsSerializer)
    def get(self, request, pk):
        program = _program(request, pk)
        access = program_access(request.user, program)
        if access.is_staff:
            rounds = selectors.program_rounds(program, with_stats=True)
        elif access.is_accepted:
            rounds = selectors.program_rounds(program, viewer_id=request.user.pk)
        else:
            raise PermissionDenied()
        return Response(GroupRoundsSerializer({"rounds": rounds}).data)

    @extend_schema(request=GroupRoundCreateSerializer,
                   responses={201: GroupRoundSerializer, 409: conflict("invalid_transition")})
    def post(self, request, pk):
        program = _program(request, pk)
        if not program_access(request.user, program).is_staff:
            raise PermissionDenied()
        serializer = GroupRoundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group_round = services.round_create(program=program, actor=request.user,
                                            **serializer.validated_data)
        return Response(_round_json(program, group_round.number), status=status.HTTP_201_CREATED)


class GroupMembersView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = GroupMoveSerializer

    @extend_schema(request=GroupMoveSerializer,
                   responses={200: GroupRoundSerializer, 409: conflict("invalid_transition")})
    def post(self, request, pk):
        group = get_object_or_404(
            DialogueGroup.objects.select_related("round__program").filter(
                round__program__in=programs_visible_to(request.user).values("pk")), pk=pk)
        program = group.round.program
        if not program_access(request.user, program).is_staff:
            raise PermissionDenied()
        serializer = GroupMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.member_move(group=group, actor=request.user, **serializer.validated_data)
        return Response(_round_json(program, group.round.number))


class GroupRoundRepairView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None,
                   responses={200: GroupRoundSerializer, 409: conflict("invalid_transition")})
    def post(self, request, pk, number):
        program = _program(request, pk)
        if not program_access(request.user, program).is_staff:
            raise PermissionDenied()
        group_round = get_object_or_404(selectors.rounds_of(program), number=number)
        moved = services.round_repair(group_round=group_round, actor=request.user)
        return Response(_round_json(program, number, moved=moved))
