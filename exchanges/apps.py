from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangesConfig(AppConfig):
    name = "exchanges"
    verbose_name = _("exchanges")

    def ready(self):
        from exchanges import notices, privacy, two_factor
        from exchanges.incidents import notices as incident_notices
        from exchanges.incidents import privacy as incident_privacy

        notices.register()
        incident_notices.register()
        privacy.connect()
        incident_privacy.connect()
        two_factor.register()
