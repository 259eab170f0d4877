"""Shapes of the v1 API for organizations, members, programs and applications.

Serializers check field shape only; every rule is decided by exchanges.services.
"""

from collections import Counter

from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from core import content
from core.api import (
    MAX_ID,
    BooleanField,
    EmailField,
    IntegerField,
    PrimaryKeyRelatedField,
    SlugField,
    TextField,
    TimeField,
    TranslationsField,
)
from exchanges.models import (
    PROTECTED_APPLICANT_FIELDS,
    Application,
    GuardianConsent,
    Membership,
    MembershipStatus,
    Program,
    Role,
    Side,
)
from exchanges.selectors import sees_applicant_personal_data
from exchanges.services import seats_per_side
from participants.api import ErrorSerializer

NOT_ALLOWED = _("Your role in this organization does not allow this.")


def conflict(*codes: str) -> OpenApiResponse:
    """A documented 409 answer with the codes it may carry."""
    return OpenApiResponse(ErrorSerializer, description="State conflict; `code` is one of: "
                           + ", ".join(f"`{code}`" for code in codes))


# --- Organizations and members ---------------------------------------------------------


class OrganizationSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    name = TextField(max_length=120)
    description = TextField(max_length=5000, allow_blank=True, required=False)
    website = serializers.URLField(max_length=200, allow_blank=True, required=False)
    require_two_factor = BooleanField(
        required=False, help_text=_("Every member must sign in with an authenticator app's "
                                    "code; their API tokens stop working until they set one "
                                    "up. Owners change it."))
    identity_protection = BooleanField(
        required=False, help_text=_("Applicants' email, legal name, date of birth and "
                                    "institution are null for every role of the organization; "
                                    "custodians reveal one person at a time, with a reason. "
                                    "Owners change it."))
    role = serializers.ChoiceField(choices=Role.choices, read_only=True,
                                   help_text=_("The caller's role in this organization."))


class OrganizationCreateSerializer(OrganizationSerializer):
    slug = SlugField(max_length=60, allow_blank=True, required=False)
    require_two_factor = serializers.BooleanField(read_only=True)
    identity_protection = serializers.BooleanField(read_only=True)


class MembershipSerializer(serializers.Serializer):
    """A member (`status` "active"), or for owners an open invitation (`status` "invited",
    no `user` or `display_name` yet)."""

    id = serializers.IntegerField(read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True, allow_null=True)
    email = serializers.SerializerMethodField()
    display_name = serializers.SerializerMethodField()
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    status = serializers.ChoiceField(
        choices=[MembershipStatus.ACTIVE, MembershipStatus.INVITED], read_only=True)

    @extend_schema_field(serializers.EmailField())
    def get_email(self, membership: Membership) -> str:
        return membership.user.email if membership.user_id else membership.email

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_display_name(self, membership: Membership) -> str | None:
        return membership.user.display_name if membership.user_id else None


class MemberAddSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationCreatedSerializer(serializers.Serializer):
    """The same for every address, with an account or without."""

    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    status = serializers.ChoiceField(choices=[MembershipStatus.INVITED])
    expires_at = TimeField(read_only=True)
    token = serializers.CharField(help_text=_(
        "The link's token, shown only in this answer: the invitation is emailed as "
        "<site>/invitations/<token>/."))


class InvitationOrganizationSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


INVITATION_STATUSES = ["invited", "accepted", "declined", "revoked", "expired"]


class InvitationSerializer(serializers.Serializer):
    """What the link shows: the organization and the role offered, nothing about anyone."""

    organization = InvitationOrganizationSerializer()
    role = serializers.ChoiceField(choices=Role.choices)
    expires_at = TimeField(read_only=True)
    status = serializers.ChoiceField(choices=INVITATION_STATUSES, source="invitation_status")


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


# --- Programs --------------------------------------------------------------------------


def seat_context(programs, staff_organization_ids: set[int]) -> dict:
    """Counts per side for the programs the caller staffs, in one aggregate query."""
    staffed = [p.pk for p in programs if p.organization_id in staff_organization_ids]
    counts: Counter = Counter()
    if staffed:
        rows = (
            Application.objects.filter(program_id__in=staffed)
            .values_list("side_id", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts.update({(side_id, status): n for side_id, status, n in rows})
    return {"staff_organizations": staff_organization_ids, "side_counts": counts}


PROGRAM_TEXTS = {"title": 200, "summary": 300, "description": 20000}
SIDE_TEXTS = {"name": 80}
LANGUAGE_CHOICES = list(content.CONTENT_LANGUAGES)


class LanguagesField(serializers.ListField):
    """Language codes of settings.LANGUAGES, each once, the main language first."""

    child = serializers.ChoiceField(choices=LANGUAGE_CHOICES)

    def __init__(self, **kwargs):
        super().__init__(min_length=1, max_length=len(LANGUAGE_CHOICES), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list) or not all(isinstance(code, str) for code in data):
            self.fail("not_a_list", input_type=type(data).__name__)
        codes = super().to_internal_value(data)
        if len(set(codes)) != len(codes):
            raise serializers.ValidationError(_("Each language once."))
        return codes


class SideReadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text=_(
        "In the caller's language when written in it, else the program's first language."))
    translations = TranslationsField(SIDE_TEXTS)
    seats = serializers.IntegerField()
    accepted = serializers.IntegerField(allow_null=True, help_text=_("Staff only; null otherwise."))
    waitlisted = serializers.IntegerField(allow_null=True)
    pending = serializers.IntegerField(allow_null=True)


class SideWriteSerializer(serializers.Serializer):
    id = IntegerField(required=False, min_value=1, max_value=MAX_ID,
                      help_text=_("An existing side's id renames it; none adds one."))
    name = TextField(max_length=80, help_text=_("In the program's first language."))
    translations = TranslationsField(SIDE_TEXTS, required=False)

    def validate(self, attrs):
        # A PATCH is partial all the way down, so DRF would let a side without a name through.
        if "name" not in attrs:
            raise serializers.ValidationError(
                {"name": [serializers.Field.default_error_messages["required"]]})
        return attrs


class ProgramSerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    applications_close_at = TimeField(allow_null=True, required=False)
    created_at = TimeField(read_only=True)
    sides = serializers.SerializerMethodField()
    languages = serializers.ListField(child=serializers.CharField(), help_text=_(
        "The languages the program is written in; the first is its main language."))
    translations = serializers.SerializerMethodField()

    class Meta:
        model = Program
        fields = [
            "id", "organization", "title", "kind", "summary", "description", "location",
            "is_online", "starts_on", "ends_on", "applications_close_at", "capacity",
            "balance", "status", "sides", "created_at", "retention_days", "timezone",
            "venue_disclosure_hours", "guardian_consent_under", "languages", "translations",
        ]
        read_only_fields = fields

    @extend_schema_field(TranslationsField(PROGRAM_TEXTS))
    def get_translations(self, program: Program) -> dict:
        return content.translations(program, program.languages)

    @extend_schema_field(SideReadSerializer(many=True))
    def get_sides(self, program: Program) -> list[dict]:
        sides = list(program.sides.all())
        seats = seats_per_side(program, len(sides) or 1)
        is_staff = program.organization_id in self.context["staff_organizations"]
        counts = self.context["side_counts"]
        return [
            {
                "id": side.pk,
                "name": side.name,
                "translations": content.translations(side, program.languages),
                "seats": seats,
                **{
                    status: counts[(side.pk, status)] if is_staff else None
                    for status in ("accepted", "waitlisted", "pending")
                },
            }
            for side in sides
        ]


class ProgramWriteSerializer(serializers.ModelSerializer):
    """Input of POST and PATCH: shape only; program_create/program_update decide."""

    organization = SlugField(
        max_length=60, help_text=_("Slug of an organization where the caller is owner or "
                                   "coordinator; only on create.")
    )
    applications_close_at = TimeField(allow_null=True, required=False, help_text=_(
        "Not after the end of ends_on anywhere on Earth (24:00 at UTC−12)."))
    sides = SideWriteSerializer(many=True, min_length=2,
                                help_text=_("At least two, names unique."))
    languages = LanguagesField(required=False, help_text=_(
        "Language codes, the main language first (default: en). title, summary, "
        "description and the sides' names write the main language."))
    translations = TranslationsField(PROGRAM_TEXTS, required=False)

    class Meta:
        model = Program
        fields = [
            "organization", "title", "kind", "summary", "description", "location",
            "is_online", "starts_on", "ends_on", "applications_close_at", "capacity",
            "balance", "sides", "retention_days", "timezone", "venue_disclosure_hours",
            "guardian_consent_under", "languages", "translations",
        ]
        extra_kwargs = {
            "starts_on": {"help_text": _("In the years 1900–2200.")},
            "ends_on": {"help_text": _("Not before starts_on; in the years 1900–2200.")},
            "venue_disclosure_hours": {"help_text": _(
                "0–720, or null. Each session's place and online link are hidden from "
                "participants and the public until this many hours before it starts.")},
            "guardian_consent_under": {"help_text": _(
                "An age from 1 to 25, or null. Applicants younger than this on starts_on "
                "name a guardian, who must consent before they can be accepted.")},
            "timezone": {"help_text": _(
                "Canonical IANA name (Asia/Nicosia) where the program happens; its sessions "
                "default to it. Default: the creator's profile timezone.")},
        }
        # The rules across fields and rows live in services; only shape is checked here.
        validators: list = []

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping,
                                models.CharField: TextField, models.TextField: TextField,
                                models.PositiveIntegerField: IntegerField,
                                models.BooleanField: BooleanField}


class ProgramUpdateSerializer(ProgramWriteSerializer):
    class Meta(ProgramWriteSerializer.Meta):
        fields = [f for f in ProgramWriteSerializer.Meta.fields if f != "organization"]

    organization = None


# --- Applications ------------------------------------------------------------------------


class ApplicantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    email = serializers.EmailField(required=False, allow_null=True, help_text=_(
        "Staff only; null under identity protection (reveal it with applications/{id}/reveal/)."))
    legal_name = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                       help_text=_("Staff only; null under identity protection."))
    institution = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                        help_text=_("Staff only; null under identity protection."))
    birth_date = serializers.DateField(required=False, allow_null=True,
                                       help_text=_("Staff only; null under identity protection."))


class ApplicationSerializer(serializers.ModelSerializer):
    """Seen by the applicant and the program's staff only, guardian fields included."""

    applicant = serializers.SerializerMethodField()
    created_at = TimeField(read_only=True)
    decided_at = TimeField(read_only=True, allow_null=True)
    guardian_consent = serializers.ChoiceField(
        choices=GuardianConsent.choices, allow_null=True, read_only=True,
        help_text=_("Null where no guardian's consent is needed."))
    guardian_email = serializers.SerializerMethodField()
    guardian_name = serializers.CharField(read_only=True, allow_blank=True, help_text=_(
        "The name the guardian gave with their answer."))
    guardian_answered_at = TimeField(read_only=True, allow_null=True)

    class Meta:
        model = Application
        fields = ["id", "program", "side", "status", "applicant", "motivation", "created_at",
                  "decided_at", "guardian_consent", "guardian_email", "guardian_name",
                  "guardian_answered_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_guardian_email(self, application: Application) -> str | None:
        program = application.program
        hidden = (program.organization_id in self.context.get("reader_organizations", ())
                  and not sees_applicant_personal_data(
                      self.context["personal_data_organizations"], program))
        return None if hidden else application.guardian_email or None

    @extend_schema_field(ApplicantSerializer)
    def get_applicant(self, application: Application) -> dict:
        person = application.applicant
        data = {"id": person.pk, "display_name": person.display_name}
        program = application.program
        if sees_applicant_personal_data(self.context["personal_data_organizations"], program):
            data.update(email=person.email, legal_name=person.legal_name,
                        institution=person.institution,
                        birth_date=person.birth_date.isoformat() if person.birth_date else None)
        elif program.organization_id in self.context.get("reader_organizations", ()):
            # Staff under identity protection: the fields are there, and null.
            data.update(dict.fromkeys(PROTECTED_APPLICANT_FIELDS))
        return data


class ApplicationCreateSerializer(serializers.Serializer):
    side = PrimaryKeyRelatedField(queryset=Side.objects.all())
    motivation = TextField(max_length=4000, allow_blank=True, required=False)
    guardian_email = EmailField(max_length=254, allow_blank=True, required=False, help_text=_(
        "Required when the program sets guardian_consent_under and the applicant is younger "
        "than that on starts_on; ignored otherwise."))


