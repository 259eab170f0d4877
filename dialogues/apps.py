from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DialoguesConfig(AppConfig):
    name = "dialogues"
    verbose_name = _("dialogues")

    def ready(self):
        # services connects receivers of the exchanges signals
        from dialogues import notices, privacy, services  # noqa: F401
        from dialogues.evaluation import notices as survey_notices
        from dialogues.evaluation import privacy as survey_privacy
        from dialogues.evaluation import tasks  # noqa: F401 - registers the Celery task
        from dialogues.reminders import services as _  # noqa: F401 - connects its receivers

        notices.register()
        privacy.connect()
        survey_notices.register()
        survey_privacy.connect()
