from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from participants.two_factor import second_factor_missing


class ParleyAdminSite(admin.AdminSite):
    site_header = _("Parley administration")
    site_title = _("Parley admin")
    index_title = _("Activity, people, programs and messages")

    def has_permission(self, request):
        # The two-factor middleware sends such a person to verify first; the admin does
        # not rely on it being installed and in front of every admin URL.
        return super().has_permission(request) and not second_factor_missing(request.user)
