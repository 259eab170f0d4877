from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangesConfig(AppConfig):
    name = "exchanges"
    verbose_name = _("exchanges")

    def ready(self):
        from exchanges import notices, privacy, two_factor

        notices.register()
        privacy.connect()
        two_factor.register()
