"""API views for programs and applications.

Each view looks its object up through a selector (404 when the caller may not
see it), checks the caller's role (403 on an object they can see), and calls one
service; the error handler in core.api turns service errors into 400/409.
"""

import django_filters
from django import forms
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import MAX_ID
from exchanges import exports, services
from exchanges.api import lean
from exchanges.api.serializers import (
    NOT_ALLOWED,
    ApplicationCreateSerializer,
    ApplicationSerializer,
    ProgramSerializer,
    ProgramUpdateSerializer,
    ProgramWriteSerializer,
    conflict,
    seat_context,
)
from exchanges.models import (
    STAFF_ROLES,
    Application,
    ApplicationStatus,
    Organization,
    Program,
    ProgramKind,
    ProgramStatus,
)
from exchanges.selectors import (
    applications_visible_to,
    is_staff_of,
    programs_visible_through,
    programs_visible_to,
    role_in,
    search_programs,
    sees_applicant_personal_data,
    staff_access,
    visibility_of,
)

# --- Programs --------------------------------------------------------------------------


class StrictFilterSet(django_filters.FilterSet):
    """An empty choice or number (`?status=`) is refused like any unknown value."""

    def is_valid(self):
        for name, filter_ in self.filters.items():
            strict = isinstance(filter_, django_filters.ChoiceFilter | django_filters.NumberFilter)
            if strict and self.form.data.get(name) == "" and not self.form.errors.get(name):
                self.form.add_error(name, _("Give a value, or leave this filter out."))
        return self.form.is_valid()


class ProgramFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=ProgramKind.choices)
    status = django_filters.ChoiceFilter(choices=ProgramStatus.choices)
    organization = django_filters.CharFilter(field_name="organization__slug",
                                             help_text=_("An organization's slug."))
    search = django_filters.CharFilter(
        method="filter_search",
        help_text=_("Words that must all appear in the title, summary, description or "
                    "location."))

    class Meta:
        model = Program
        fields = ["kind", "organization", "status", "search"]

    def filter_search(self, queryset, name, value):
        return search_programs(queryset, value)


def _staff_access(request) -> tuple[frozenset[int], frozenset[int]]:
    if not hasattr(request, "_staff_access"):
        request._staff_access = staff_access(request.user)  # one query per request
    return request._staff_access


def _staff_organizations(request) -> frozenset[int]:
    """The organizations whose programs the caller reads as staff (owner, coordinator,
    custodian)."""
    return _staff_access(request)[0]


def _personal_data_organizations(request) -> frozenset[int]:
    """The organizations whose applicants' personal data the caller sees."""
    return _staff_access(request)[1]


def _program(request, pk, *, with_sides=True) -> Program:
    programs = programs_visible_to(request.user)
    if not with_sides:
        programs = programs.prefetch_related(None)
    return get_object_or_404(programs, pk=pk)


def _staffed_program(request, pk) -> Program:
    """A program the caller may change: owners and coordinators (custodians read only)."""
    program = _program(request, pk)
    if not is_staff_of(request.user, program.organization_id):
        raise PermissionDenied(NOT_ALLOWED)
    return program


def _program_response(request, pk, code=status.HTTP_200_OK) -> Response:
    program = _program(request, pk)
    context = seat_context([program], _staff_organizations(request))
    return Response(ProgramSerializer(program, context=context).data, status=code)


def _write_arguments(validated: dict) -> dict:
    arguments = dict(validated)
    if "sides" in arguments:
        arguments["sides"] = [services.SideSpec(name=side["name"], id=side.get("id"),
                                                translations=side.get("translations", {}))
                              for side in arguments["sides"]]
    return arguments


class ProgramListView(generics.ListAPIView):
    serializer_class = ProgramSerializer
    filterset_class = ProgramFilter

    def get_queryset(self):
        return programs_visible_to(self.request.user)

    def list(self, request, *args, **kwargs):
        # ProgramSerializer's output from values_list() rows (exchanges/api/lean.py).
        page = self.paginate_queryset(self._rows(request))
        return self.get_paginated_response(lean.represent(page))

    def _rows(self, request):
        paging = {self.paginator.page_query_param, self.paginator.page_size_query_param}
        if set(request.query_params) <= paging:
            return lean.visible(request.user)
        # Whether the caller reads each program as staff is part of the page's query.
        visibility = visibility_of(request.user)
        programs = self.filter_queryset(programs_visible_through(visibility))
        return lean.rows(programs, visibility.readers)

    @extend_schema(request=ProgramWriteSerializer, responses={201: ProgramSerializer})
    def post(self, request):
        serializer = ProgramWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        arguments = _write_arguments(serializer.validated_data)
        organization = Organization.objects.filter(slug=arguments.pop("organization")).first()
        role = role_in(request.user, organization.pk) if organization else None
        if role is None:
            raise ValidationError(
                {"organization": [_("You are not a member of an organization with this slug.")]}
            )
        if role not in STAFF_ROLES:
            raise PermissionDenied(NOT_ALLOWED)
        program = services.program_create(organization=organization, actor=request.user,
                                          **arguments)
        return _program_response(request, program.pk, status.HTTP_201_CREATED)


class ProgramDetailView(generics.GenericAPIView):
    serializer_class = ProgramSerializer

    def get(self, request, pk):
        return _program_response(request, pk)

    @extend_schema(request=ProgramUpdateSerializer(partial=True),
                   responses={200: ProgramSerializer,
                              409: conflict("side_has_applications", "invalid_transition")})
    def patch(self, request, pk):
        program = _staffed_program(request, pk)
        serializer = ProgramUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.program_update(program=program, actor=request.user,
                                **_write_arguments(serializer.validated_data))
        return _program_response(request, pk)

    @extend_schema(responses={204: None, 409: conflict("invalid_transition")})
    def delete(self, request, pk):
        services.program_delete(program=_staffed_program(request, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProgramTransitionView(generics.GenericAPIView):
    serializer_class = ProgramSerializer
    service = None  # one of services.program_publish / program_close / program_archive

    @extend_schema(request=None,
                   responses={200: ProgramSerializer, 409: conflict("invalid_transition")})
    def post(self, request, pk):
        type(self).service(program=_staffed_program(request, pk), actor=request.user)
        return _program_response(request, pk)


class ProgramPublishView(ProgramTransitionView):
    service = services.program_publish


class ProgramCloseView(ProgramTransitionView):
    service = services.program_close


class ProgramArchiveView(ProgramTransitionView):
    service = services.program_archive


# --- Applications ------------------------------------------------------------------------


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number within the databases' integer range (400 otherwise)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


class ApplicationFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=ApplicationStatus.choices)
    side = IdFilter(field_name="side_id", help_text=_("A side's id."))

    class Meta:
        model = Application
        fields = ["status", "side"]


def _application_context(request) -> dict:
    return {"personal_data_organizations": _personal_data_organizations(request),
            "reader_organizations": _staff_organizations(request)}


@extend_schema_view(get=extend_schema(description=_(
    "Staff of the program's organization get every application with the applicant's email "
    "and legal name; anyone else gets only their own.")))
class ProgramApplicationsView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **_application_context(self.request)}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Application.objects.none()
        program = _program(self.request, self.kwargs["pk"], with_sides=False)
        applications = Application.objects.filter(program=program).select_related(
            "applicant", "program").order_by("created_at", "id")
        if program.organization_id not in _staff_organizations(self.request):
            applications = applications.filter(applicant=self.request.user)
        return applications

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        _log_personal_data_viewed(request, page, via="api_list")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=ApplicationCreateSerializer,
                   responses={201: ApplicationSerializer,
                              409: conflict("already_applied", "not_open")})
    def post(self, request, pk):
        program = _program(request, pk, with_sides=False)
        serializer = ApplicationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.application_submit(program=program, applicant=request.user,
                                                  **serializer.validated_data)
        data = ApplicationSerializer(application, context=_application_context(request)).data
        return Response(data, status=status.HTTP_201_CREATED)


def _log_personal_data_viewed(request, applications: list[Application], via: str) -> None:
    """One entry per response that shows applicants' email and legal name to staff."""
    shown = [a for a in applications
             if sees_applicant_personal_data(_personal_data_organizations(request), a.program)]
    if shown:
        exports.personal_data_viewed(actor=request.user, program=shown[0].program, via=via,
                                     applicant_ids=[a.applicant_id for a in shown])


def _application(request, pk) -> Application:
    return get_object_or_404(applications_visible_to(request.user), pk=pk)


class ApplicationDetailView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ApplicationSerializer

    def get(self, request, pk):
        application = _application(request, pk)
        _log_personal_data_viewed(request, [application], via="api_detail")
        data = ApplicationSerializer(application, context=_application_context(request)).data
        return Response(data)


class ApplicationActionView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ApplicationSerializer
    service = None  # a services.application_* function; it decides who may call it

    def post(self, request, pk):
        application = _application(request, pk)
        application = type(self).service(application=application, actor=request.user)
        data = ApplicationSerializer(application, context=_application_context(request)).data
        return Response(data)


@extend_schema_view(post=extend_schema(
    request=None,
    responses={200: ApplicationSerializer,
               409: conflict("capacity_full", "side_full", "invalid_transition",
                             "guardian_consent_required")}))
class ApplicationAcceptView(ApplicationActionView):
    service = services.application_accept


@extend_schema_view(post=extend_schema(
    request=None,
    responses={200: ApplicationSerializer, 409: conflict("invalid_transition")}))
class ApplicationWaitlistView(ApplicationActionView):
    service = services.application_waitlist


@extend_schema_view(post=extend_schema(
    request=None,
    responses={200: ApplicationSerializer, 409: conflict("invalid_transition")}))
class ApplicationDeclineView(ApplicationActionView):
    service = services.application_decline


@extend_schema_view(post=extend_schema(
    request=None,
    responses={200: ApplicationSerializer, 409: conflict("invalid_transition")}))
class ApplicationWithdrawView(ApplicationActionView):
    service = services.application_withdraw
