from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DialoguesConfig(AppConfig):
    name = "dialogues"
    verbose_name = _("dialogues")

    def ready(self):
        # reminders and services connect receivers of the exchanges signals
        from dialogues import notices, privacy, services  # noqa: F401
        from dialogues.reminders import services as _  # noqa: F401

        notices.register()
        privacy.connect()
