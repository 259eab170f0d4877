"""Accounts API: register, obtain a token, read and edit one's own profile."""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import BooleanField, ErrorSerializer, TextField
from participants import privacy, services, two_factor
from participants.models import User, normalize_email


class LockedOut(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("Too many failed sign-ins for this email. Try again later.")
    default_code = "locked_out"


class InvalidCredentials(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("Unable to sign in with this email and password.")
    default_code = "invalid_credentials"


class RegisterSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(max_length=254)
    password = TextField(write_only=True, max_length=128,
                         style={"input_type": "password"})
    display_name = TextField(max_length=80)


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = TextField(max_length=128, style={"input_type": "password"})
    otp = TextField(
        max_length=16, required=False, allow_blank=True,
        help_text=_("The current code of the person's authenticator app; required when "
                    "they have confirmed one or belong to an organization that requires "
                    "two-factor sign-in."))


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(max_length=254)
    display_name = TextField(max_length=80)
    legal_name = TextField(max_length=200, allow_blank=True)
    country = TextField(max_length=2, allow_blank=True)
    languages = TextField(
        max_length=200, allow_blank=True, help_text=_("Comma-separated, e.g. en, el, tr")
    )
    institution = TextField(max_length=200, allow_blank=True, required=False,
                            help_text=_("School, club, congregation or employer."))
    birth_date = serializers.DateField(allow_null=True, required=False)
    timezone = TextField(max_length=64, help_text=_(
        "An IANA name, e.g. Asia/Nicosia; an old name (US/Eastern) is stored as its zone "
        "(America/New_York)."))
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
    notify_email = BooleanField()
    hidden_from_participants = BooleanField(required=False, help_text=_(
        "Quick exit: true leaves the person's display name out of every list other "
        "participants see (staff still see them); false undoes it."))
    password = TextField(
        write_only=True, required=False, max_length=128, trim_whitespace=False,
        style={"input_type": "password"},
        help_text=_("The current password: needed in the same body to change `email`."))


class RegisterView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=RegisterSerializer,
                   responses={201: RegisterSerializer, 400: OpenApiResponse(
                       description="Duplicate email, weak password or invalid field")})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data,
                                      language=request.LANGUAGE_CODE)
        return Response(RegisterSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    """Exchange an email and password for an API token; failures count towards a lockout."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenRequestSerializer,
                   responses={200: TokenSerializer, 400: ErrorSerializer, 429: ErrorSerializer})
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = normalize_email(serializer.validated_data["email"])
        credentials = {"username": email}
        django_request = request._request
        if AxesProxyHandler.is_locked(django_request, credentials=credentials):
            raise LockedOut()
        user = authenticate(request=django_request, username=email,
                            password=serializer.validated_data["password"])
        if user is None:
            if AxesProxyHandler.is_locked(django_request, credentials=credentials):
                # Axes's middleware would replace our answer with its HTML lockout
                # page when this flag is set; the API answers in JSON itself.
                django_request.axes_locked_out = False
                raise LockedOut()
            raise InvalidCredentials()
        two_factor.check_sign_in_code(user, serializer.validated_data.get("otp", ""))
        # Signals a successful sign-in: axes resets the failure count, last_login is set.
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class EraseRequestSerializer(serializers.Serializer):
    password = TextField(max_length=128, trim_whitespace=False)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeSerializer(partial=True), responses={200: MeSerializer})
    def patch(self, request):
        serializer = MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        # A fresh instance: a refused change must not linger on request.user.
        user = services.user_update_profile(user=User.objects.get(pk=request.user.pk),
                                            **serializer.validated_data)
        return Response(MeSerializer(user).data)

    @extend_schema(
        request=EraseRequestSerializer,
        responses={204: None, 400: OpenApiResponse(description="Wrong password"),
                   409: ErrorSerializer},
        description="Erase the caller's account and personal data. Live applications are "
                    "withdrawn first (freed seats promote the waitlist); the token stops "
                    "working. 409 `sole_owner` while the caller is an organization's only "
                    "owner.",
    )
    def delete(self, request):
        serializer = EraseRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        privacy.erase_account(user=request.user, password=serializer.validated_data["password"],
                              ip_address=request.META.get("REMOTE_ADDR"))
        return Response(status=204)


class MyExportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiResponse(
        description="Every record about the caller: profile, consents, applications, "
                    "memberships, sessions (RSVPs and attendance), messages, activity.")})
    def get(self, request):
        return Response(privacy.export_personal_data(
            user=request.user, ip_address=request.META.get("REMOTE_ADDR")))
