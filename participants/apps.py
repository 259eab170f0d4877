from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = _("participants")

    def ready(self):
        from participants import notices
        from participants.outbox import health

        notices.register()
        health.register()
