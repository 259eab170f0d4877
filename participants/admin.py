from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from participants import protection
from participants.models import Notification, NotificationStatus, User
from participants.outbox.dispatch import retry_failed

HIDDEN = _("hidden by identity protection")
PROTECTED_FIELDS = ("email", "legal_name", "institution", "birth_date")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Platform admins see a protected person as custodians do: display name only. They
    reveal one person from that person's application, with a reason (it is logged)."""

    ordering = ["-date_joined"]
    list_display = [
        "shown_email", "display_name", "country", "timezone", "is_staff", "is_active",
        "date_joined"
    ]
    list_filter = ["is_staff", "is_active", "language", "notify_email", "date_joined"]
    # Legal names are encrypted: the database cannot search them.
    search_fields = ["email", "display_name"]
    readonly_fields = ["date_joined", "last_login", "terms_accepted_at", "erased_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["display_name", "legal_name", "country", "languages",
                                   "timezone", "language", "notify_email"]}),
        (_("Consent"), {"fields": ["terms_version", "terms_accepted_at", "research_consent_at"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "groups",
                                  "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined", "erased_at"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"],
                "fields": ["email", "display_name", "password1", "password2"]}),
    ]

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # One question for the page's rows (the evaluated queryset keeps these objects).
        protected = protection.protected_ids(u.pk for u in changelist.result_list)
        for user in changelist.result_list:
            user.identity_protected = user.pk in protected
        return changelist

    @admin.display(description=_("email"), ordering="email")
    def shown_email(self, user: User) -> str:
        protected = getattr(user, "identity_protected", None)
        if protected is None:
            protected = self._is_protected(user)
        return HIDDEN if protected else user.email

    def get_search_results(self, request, queryset, search_term):
        """A search by email does not find a protected person: it would tie the address to
        their display name."""
        results, duplicates = super().get_search_results(request, queryset, search_term)
        if search_term:
            by_email = results.filter(email__icontains=search_term).exclude(
                display_name__icontains=search_term)
            results = results.exclude(
                pk__in=protection.protected_ids(by_email.values_list("pk", flat=True)))
        return results, duplicates

    def _is_protected(self, obj) -> bool:
        return obj is not None and bool(protection.protected_ids([obj.pk]))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._is_protected(obj):
            return fieldsets
        return [(name, {**options, "fields": [
            "identity_hidden" if f == "email" else f
            for f in options["fields"] if f not in PROTECTED_FIELDS[1:]]})
            for name, options in fieldsets]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "identity_hidden"] if self._is_protected(obj) else fields

    @admin.display(description=_("identity"))
    def identity_hidden(self, user: User) -> str:
        return _("Hidden by identity protection: email, legal name, date of birth and "
                 "institution. Reveal them from one of this person's applications, with a "
                 "reason; the reveal is logged and shown to the person.")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["kind", "recipient", "recipient_email", "organization", "due_at", "status",
                    "attempts", "sent_at", "error"]
    list_filter = ["status", "kind", "organization", "due_at"]
    # Not by a person's email: under identity protection it would name who it belongs to.
    search_fields = ["dedupe_key", "recipient__display_name", "recipient_email", "subject"]
    date_hierarchy = "due_at"
    list_select_related = ["recipient", "organization"]
    raw_id_fields = ["recipient"]
    readonly_fields = ["dedupe_key", "attempts", "last_error", "claimed_at", "sent_at",
                       "subject", "context", "created_at", "updated_at"]
    actions = ["retry"]

    def get_ordering(self, request):
        # What needs attention first: failed, then in flight, then pending soonest due.
        attention = Case(
            When(status=NotificationStatus.FAILED, then=Value(0)),
            When(status=NotificationStatus.SENDING, then=Value(1)),
            When(status=NotificationStatus.PENDING, then=Value(2)),
            default=Value(3),
        )
        return [attention.asc(), "due_at", "pk"]

    def changelist_view(self, request, extra_context=None):
        zone = timezone.get_current_timezone_name()
        subtitle = _("Failed messages first, then those being sent, then pending ones soonest "
                     "due. Times are in your time zone, %(zone)s.") % {"zone": zone}
        return super().changelist_view(request, {"subtitle": subtitle, **(extra_context or {})})

    @admin.display(description=_("error"))
    def error(self, notification: Notification) -> str:
        if notification.status != Notification.Status.FAILED:
            return ""
        return notification.last_error[:200]

    @admin.action(description=_("Retry the selected failed messages"))
    def retry(self, request, queryset):
        count = retry_failed(notifications=queryset)
        self.message_user(request, ngettext("%(count)d failed message will be sent again.",
                                            "%(count)d failed messages will be sent again.",
                                            count) % {"count": count}, messages.SUCCESS)
