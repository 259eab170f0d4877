from django.contrib.admin.apps import AdminConfig


class ParleyAdminConfig(AdminConfig):
    """Django's admin, on a site that also asks for the second factor."""

    default_site = "participants.admin_site.ParleyAdminSite"
