"""`me/notifications/`: the caller's own messages, latest due time first."""

from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated

from participants.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "due_at", "status", "sent_at", "subject"]
        read_only_fields = fields


class MyNotificationsView(generics.ListAPIView):
    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Notification.objects.none()
        return Notification.objects.filter(recipient=self.request.user).order_by("-due_at", "-id")
