"""POST applications/{id}/reveal/: a custodian sees one person's legal name and email."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as Forbidden
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import TextField
from exchanges.identity import services
from exchanges.models import Application
from participants.api import ErrorSerializer


class RevealRequestSerializer(serializers.Serializer):
    reason = TextField(max_length=services.MAX_REASON, help_text=_(
        "Why you need to see this person's identity; logged and shown to the person."))


class RevealedSerializer(serializers.Serializer):
    email = serializers.EmailField()
    legal_name = serializers.CharField(allow_blank=True)


class ApplicationRevealView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = RevealRequestSerializer

    @extend_schema(request=RevealRequestSerializer, responses={
        200: RevealedSerializer,
        403: OpenApiResponse(ErrorSerializer, description="Staff who are not custodians."),
        404: OpenApiResponse(ErrorSerializer, description="Not an application of the "
                                                          "caller's organizations.")})
    def post(self, request, pk):
        application = get_object_or_404(
            Application.objects.select_related("program", "applicant"), pk=pk)
        serializer = RevealRequestSerializer(data=request.data)
        # The service sees every attempt: one without a (valid) reason is refused and
        # logged too, after the checks on who asks (so an outsider still gets 404).
        valid = serializer.is_valid()
        try:
            revealed = services.identity_reveal(
                application=application, actor=request.user, via="api",
                reason=serializer.validated_data["reason"] if valid else "")
        except services.RevealRefused as refused:
            if refused.code == services.NOT_IN_ORGANIZATION:
                raise NotFound() from None
            raise Forbidden(refused.message) from None
        except DjangoValidationError:
            if not valid:
                raise serializers.ValidationError(serializer.errors) from None
            raise
        return Response(RevealedSerializer(revealed).data)
