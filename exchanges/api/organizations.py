"""API views for organizations and their members.

The organization is looked up among the caller's own (404 for anyone else), then
the caller's role is checked (403), then one service is called.
"""

from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from exchanges import services
from exchanges.api.serializers import (
    NOT_ALLOWED,
    InvitationCreatedSerializer,
    MemberAddSerializer,
    MemberRoleSerializer,
    MembershipSerializer,
    OrganizationCreateSerializer,
    OrganizationSerializer,
    conflict,
)
from exchanges.models import Membership, MembershipStatus, Organization, Role
from exchanges.selectors import organization_seats, organizations_of


def _organizations(user) -> QuerySet[Organization]:
    role = Membership.objects.filter(organization=OuterRef("pk"), user=user).values("role")[:1]
    return organizations_of(user).annotate(role=Subquery(role))


def _organization(request, slug: str) -> Organization:
    return get_object_or_404(_organizations(request.user), slug=slug)


def _require_owner(organization: Organization) -> None:
    if organization.role != Role.OWNER:
        raise PermissionDenied(NOT_ALLOWED)


class OrganizationListView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OrganizationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Organization.objects.none()
        return _organizations(self.request.user)

    @extend_schema(request=OrganizationCreateSerializer, responses={201: OrganizationSerializer})
    def post(self, request):
        serializer = OrganizationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = services.organization_create(actor=request.user, **serializer.validated_data)
        organization = _organization(request, organization.slug)
        return Response(OrganizationSerializer(organization).data, status=status.HTTP_201_CREATED)


class OrganizationDetailView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OrganizationSerializer

    def get(self, request, slug):
        return Response(OrganizationSerializer(_organization(request, slug)).data)

    @extend_schema(request=OrganizationSerializer(partial=True))
    def patch(self, request, slug):
        organization = _organization(request, slug)
        _require_owner(organization)
        serializer = OrganizationSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        organization = services.organization_update(
            organization=organization, actor=request.user, **serializer.validated_data
        )
        return Response(OrganizationSerializer(organization).data)


class MemberListView(generics.ListAPIView):
    """Members; owners also see open invitations. POST invites (it no longer adds)."""

    permission_classes = [IsAuthenticated]
    serializer_class = MembershipSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        organization = _organization(self.request, self.kwargs["slug"])
        return organization_seats(organization,
                                  with_invitations=organization.role == Role.OWNER)

    @extend_schema(request=MemberAddSerializer, responses={201: InvitationCreatedSerializer})
    def post(self, request, slug):
        organization = _organization(request, slug)
        _require_owner(organization)
        serializer = MemberAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.membership_invite(
            organization=organization, actor=request.user, **serializer.validated_data
        )
        return Response(InvitationCreatedSerializer(invitation).data,
                        status=status.HTTP_201_CREATED)


class MemberDetailView(generics.GenericAPIView):
    """Owners change a member's role (extra to the contract), remove a member or revoke an
    invitation: members and invitations share one id space."""

    permission_classes = [IsAuthenticated]
    serializer_class = MembershipSerializer

    def _seat(self, request, slug, pk) -> Membership:
        organization = _organization(request, slug)
        _require_owner(organization)
        return get_object_or_404(organization_seats(organization, with_invitations=True), pk=pk)

    @extend_schema(request=MemberRoleSerializer,
                   responses={200: MembershipSerializer, 409: conflict("sole_owner")})
    def patch(self, request, slug, pk):
        membership = self._seat(request, slug, pk)
        if membership.status != MembershipStatus.ACTIVE:
            raise NotFound()  # an invitation's role is fixed: revoke it and invite again
        serializer = MemberRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            membership=membership, actor=request.user, role=serializer.validated_data["role"]
        )
        return Response(MembershipSerializer(membership).data)

    @extend_schema(responses={204: None, 409: conflict("sole_owner")})
    def delete(self, request, slug, pk):
        seat = self._seat(request, slug, pk)
        if seat.status == MembershipStatus.INVITED:
            services.invitation_revoke(invitation=seat, actor=request.user)
        else:
            services.membership_remove(membership=seat, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
