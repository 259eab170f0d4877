"""API views for an invitation's link: anyone holding the token reads or declines it;
a signed-in person accepts it and becomes the member.

An unknown token answers 404; a known one that no longer works, 409 `invalid_transition`.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from exchanges import services
from exchanges.api.serializers import InvitationSerializer, MembershipSerializer, conflict
from exchanges.models import Membership
from exchanges.selectors import invitation_by_token


class InvitationDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: InvitationSerializer})
    def get(self, request, token):
        invitation = invitation_by_token(token)
        if invitation is None:
            raise NotFound()
        return Response(InvitationSerializer(invitation).data)


class InvitationAcceptView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={
        200: MembershipSerializer, 409: conflict("invalid_transition", "already_member")})
    def post(self, request, token):
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except Membership.DoesNotExist as exc:
            raise NotFound() from exc
        return Response(MembershipSerializer(membership).data)


class InvitationDeclineView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={
        200: InvitationSerializer, 409: conflict("invalid_transition")})
    def post(self, request, token):
        try:
            invitation = services.invitation_decline(token=token, actor=request.user)
        except Membership.DoesNotExist as exc:
            raise NotFound() from exc
        return Response(InvitationSerializer(invitation).data)
