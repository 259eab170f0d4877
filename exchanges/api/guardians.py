"""API of a guardian's consent link (API.md "Safety"): anyone holding the emailed token
reads what the program is and who applied, and consents or refuses, once.

An unknown token answers 404; a link already used, expired, or for an application that
is no longer open answers 409 `invalid_transition`.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import TextField, TimeField
from exchanges import services
from exchanges.api.serializers import conflict
from exchanges.models import Application, GuardianConsent

LINK_STATUSES = ["pending", "given", "refused", "expired", "closed"]


class GuardianOrganizationSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class GuardianProgramSerializer(serializers.Serializer):
    """The program's public fields only."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    organization = GuardianOrganizationSerializer()
    kind = serializers.CharField()
    summary = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    location = serializers.CharField(allow_blank=True)
    is_online = serializers.BooleanField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class GuardianApplicantSerializer(serializers.Serializer):
    display_name = serializers.CharField()


class GuardianConsentSerializer(serializers.Serializer):
    program = GuardianProgramSerializer()
    applicant = GuardianApplicantSerializer()
    status = serializers.ChoiceField(choices=LINK_STATUSES, source="guardian_link_status",
                                     help_text=_("pending: waiting for the answer."))
    expires_at = TimeField(source="guardian_link_expires_at", read_only=True)
    guardian_name = serializers.CharField(allow_blank=True)
    answered_at = TimeField(source="guardian_answered_at", read_only=True, allow_null=True)


class GuardianDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[GuardianConsent.GIVEN, GuardianConsent.REFUSED])
    guardian_name = TextField(max_length=200, help_text=_("The guardian's own name."))


def _found(token: str) -> Application:
    application = services.application_by_guardian_token(token)
    if application is None:
        raise NotFound()
    return application


class GuardianConsentView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: GuardianConsentSerializer})
    def get(self, request, token):
        return Response(GuardianConsentSerializer(_found(token)).data)

    @extend_schema(request=GuardianDecisionSerializer, responses={
        200: GuardianConsentSerializer, 409: conflict("invalid_transition")})
    def post(self, request, token):
        serializer = GuardianDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            application = services.guardian_consent_decide(token=token,
                                                           **serializer.validated_data)
        except Application.DoesNotExist as exc:
            raise NotFound() from exc
        return Response(GuardianConsentSerializer(application).data)
