from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DialoguesConfig(AppConfig):
    name = "dialogues"
    verbose_name = _("dialogues")

    def ready(self):
        from dialogues import notices, privacy, reminders  # noqa: F401 - reminders connects receivers

        notices.register()
        privacy.connect()
