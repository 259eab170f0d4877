"""The Evaluation part of the v1 API (API.md "Evaluation"). Views shape; services decide.

A program the caller may not see answers 404; a visible program whose evaluation the
caller may not read or change answers 403; a program without an evaluation (or a wave
it does not have) answers 404.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import BooleanField, IntegerField
from core.csv_export import csv_response
from dialogues.api import IgnoreAccept, UTCDateTimeField
from dialogues.evaluation import exports, services, stats
from dialogues.evaluation.instruments import INSTRUMENTS
from dialogues.evaluation.selectors import (
    WaveWindow,
    evaluation_of,
    surveys_of,
    wave_windows,
)
from dialogues.models import MAX_FOLLOWUP_MONTHS, Evaluation, Wave
from exchanges.api.serializers import conflict
from exchanges.models import STAFF_ROLES, Program, Role
from exchanges.selectors import programs_visible_to, role_in

# --- Serializers ---


class InstrumentItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    reverse = serializers.BooleanField()


class InstrumentSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    min = serializers.IntegerField()
    max = serializers.IntegerField()
    items = InstrumentItemSerializer(many=True)


class EvaluationInSerializer(serializers.Serializer):
    instruments = serializers.ListField(
        child=serializers.ChoiceField(choices=list(INSTRUMENTS)), max_length=len(INSTRUMENTS))
    followups = serializers.ListField(
        child=IntegerField(min_value=1, max_value=MAX_FOLLOWUP_MONTHS),
        required=False, max_length=MAX_FOLLOWUP_MONTHS)


class WaveSerializer(serializers.Serializer):
    wave = serializers.CharField()
    opens_at = UTCDateTimeField()
    closes_at = UTCDateTimeField()
    state = serializers.ChoiceField(choices=["upcoming", "open", "closed"])


class EvaluationSerializer(serializers.Serializer):
    instruments = serializers.ListField(child=serializers.CharField())
    followups = serializers.ListField(child=serializers.IntegerField())
    waves = WaveSerializer(many=True)


class SurveyItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    min = serializers.IntegerField()
    max = serializers.IntegerField()


class SurveySerializer(serializers.Serializer):
    program = serializers.IntegerField()
    wave = serializers.CharField()
    closes_at = UTCDateTimeField()
    items = SurveyItemSerializer(many=True)


@extend_schema_field({"type": "object", "additionalProperties": {"type": "number"}})
class AnswersField(serializers.Field):
    """`{item_key: number}`; which items and which numbers is the service's rule."""

    default_error_messages = {"invalid": _("Send the answers as an object of item keys "
                                           "and numbers.")}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class ResponseInSerializer(serializers.Serializer):
    consent = BooleanField(required=False, default=False)
    answers = AnswersField(required=False, default=dict)


class ResponseOutSerializer(serializers.Serializer):
    wave = serializers.CharField()
    submitted_at = UTCDateTimeField()


class ResultRowSerializer(serializers.Serializer):
    side = serializers.IntegerField()
    side_name = serializers.CharField()
    instrument = serializers.CharField()
    wave = serializers.CharField()
    n = serializers.IntegerField(allow_null=True)
    mean_change = serializers.FloatField(allow_null=True)
    median_change = serializers.FloatField(allow_null=True)
    ci95_low = serializers.FloatField(allow_null=True)
    ci95_high = serializers.FloatField(allow_null=True)
    effect_size = serializers.FloatField(allow_null=True)
    attrition = serializers.FloatField(allow_null=True)
    persistence = serializers.FloatField(allow_null=True)
    suppressed = serializers.BooleanField()


class ResultsSerializer(serializers.Serializer):
    rows = ResultRowSerializer(many=True)


# --- Shapes ---


def instrument_json(instrument) -> dict:
    return {"key": instrument.key, "name": str(instrument.name), "min": instrument.min,
            "max": instrument.max,
            "items": [{"key": item.key, "text": str(item.text), "reverse": item.reverse}
                      for item in instrument.items]}


def wave_json(window: WaveWindow) -> dict:
    return {"wave": window.name, "opens_at": window.opens_at, "closes_at": window.closes_at,
            "state": window.state()}


def evaluation_json(evaluation: Evaluation) -> dict:
    return EvaluationSerializer({
        "instruments": evaluation.instruments, "followups": evaluation.followups,
        "waves": [wave_json(window) for window in wave_windows(evaluation)],
    }).data


def survey_json(survey) -> dict:
    return {"program": survey.program.pk, "wave": survey.wave, "closes_at": survey.closes_at,
            "items": [{"key": i.key, "text": i.text, "min": i.min, "max": i.max}
                      for i in survey.items]}


# --- Access ---


def _program(request, pk) -> Program:
    return get_object_or_404(programs_visible_to(request.user), pk=pk)


def _require_role(request, program: Program, roles) -> None:
    if role_in(request.user, program.organization_id) not in roles:
        raise PermissionDenied()


def _evaluation(program: Program) -> Evaluation:
    evaluation = evaluation_of(program)
    if evaluation is None:
        raise Http404
    return evaluation


def _wave(evaluation: Evaluation, name: str) -> Wave:
    wave = next((w for w in evaluation.waves.all() if w.name == name), None)
    if wave is None:
        raise Http404
    return wave


# --- Views ---


class InstrumentsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=InstrumentSerializer(many=True))
    def get(self, request):
        return Response([instrument_json(i) for i in INSTRUMENTS.values()])


class ProgramEvaluationView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=EvaluationSerializer)
    def get(self, request, pk):
        program = _program(request, pk)
        _require_role(request, program, STAFF_ROLES)
        return Response(evaluation_json(_evaluation(program)))

    @extend_schema(request=EvaluationInSerializer,
                   responses={200: EvaluationSerializer, 409: conflict("invalid_transition")})
    def put(self, request, pk):
        program = _program(request, pk)
        _require_role(request, program, STAFF_ROLES)
        serializer = EvaluationInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evaluation = services.evaluation_save(program=program, actor=request.user,
                                              **serializer.validated_data)
        return Response(evaluation_json(evaluation))


class _WaveActionView(APIView):
    permission_classes = [IsAuthenticated]
    transition = None

    @extend_schema(request=None,
                   responses={200: WaveSerializer, 409: conflict("invalid_transition")})
    def post(self, request, pk, wave):
        program = _program(request, pk)
        _require_role(request, program, STAFF_ROLES)
        evaluation = _evaluation(program)
        window = self.transition(evaluation=evaluation, wave=_wave(evaluation, wave),
                             actor=request.user)
        return Response(WaveSerializer(wave_json(window)).data)


class WaveOpenView(_WaveActionView):
    transition = staticmethod(services.wave_open)


class WaveCloseView(_WaveActionView):
    transition = staticmethod(services.wave_close)


class DeclineView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={
        200: OpenApiTypes.OBJECT, 409: conflict("not_accepted")})
    def post(self, request, pk):
        program = _program(request, pk)
        _evaluation(program)
        respondent = services.survey_decline(program=program, user=request.user)
        return Response({"declined_at": UTCDateTimeField().to_representation(
            respondent.declined_at)})


class MySurveysView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SurveySerializer(many=True))
    def get(self, request):
        return Response(SurveySerializer([survey_json(s) for s in surveys_of(request.user)],
                                         many=True).data)


class ResponsesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ResponseInSerializer, responses={
        201: ResponseOutSerializer,
        409: conflict("not_accepted", "not_open", "already_answered")})
    def post(self, request, pk, wave):
        program = _program(request, pk)
        _wave(_evaluation(program), wave)
        serializer = ResponseInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            response = services.survey_respond(program=program, wave_name=wave,
                                               user=request.user, **serializer.validated_data)
        except services.AnswerErrors as exc:
            return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
        return Response(ResponseOutSerializer(
            {"wave": wave, "submitted_at": response.submitted_at}).data,
            status=status.HTTP_201_CREATED)


class ResultsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ResultsSerializer)
    def get(self, request, pk):
        program = _program(request, pk)
        _require_role(request, program, STAFF_ROLES)
        return Response({"rows": stats.program_results(_evaluation(program))})


class _CsvView(APIView):
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]  # errors only; the file itself is an HttpResponse
    content_negotiation_class = IgnoreAccept


class ResultsCsvView(_CsvView):
    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, pk):
        program = _program(request, pk)
        _require_role(request, program, STAFF_ROLES)
        rows = stats.program_results(_evaluation(program))
        return csv_response(exports.results_table(rows),
                                    f"program-{program.pk}-results.csv")


class ResponsesCsvView(_CsvView):
    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, pk):
        program = _program(request, pk)
        _require_role(request, program, (Role.OWNER,))
        evaluation = _evaluation(program)
        services.responses_export_logged(program=program, actor=request.user)
        return csv_response(exports.responses_table(evaluation),
                                    f"program-{program.pk}-responses.csv")
