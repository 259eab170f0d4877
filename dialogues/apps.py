from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DialoguesConfig(AppConfig):
    name = "dialogues"
    verbose_name = _("dialogues")

    def ready(self):
        from dialogues import notices, privacy, services  # noqa: F401 - services connects receivers
        from dialogues.reminders import services as _  # noqa: F401 - connects its receivers

        notices.register()
        privacy.connect()
