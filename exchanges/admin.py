from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core import content
from exchanges.activity import verb_label
from exchanges.identity import services as identity_services
from exchanges.identity.views import RevealForm
from exchanges.models import (
    ActivityLog,
    Application,
    Membership,
    Organization,
    Program,
    Reveal,
    Side,
)


class MembershipInline(admin.TabularInline):
    """Active members (the default manager); invitations are listed under Memberships."""

    model = Membership
    extra = 0
    fields = ["user", "role"]
    raw_id_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "website", "require_two_factor", "identity_protection",
                    "created_at"]
    search_fields = ["name", "slug"]
    list_filter = ["require_two_factor", "identity_protection", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Members and invitations (open or closed); an invitation's token is never shown."""

    list_display = ["__str__", "organization", "role", "status", "email", "expires_at",
                    "created_at"]
    list_filter = ["status", "role", "organization"]
    search_fields = ["user__email", "user__display_name", "email", "organization__name"]
    list_select_related = ["user", "organization"]
    raw_id_fields = ["user"]
    fields = ["organization", "user", "role", "status", "email", "invited_by", "expires_at",
              "created_at"]
    readonly_fields = ["status", "email", "invited_by", "expires_at", "created_at"]

    def get_queryset(self, request):
        return Membership.seats.select_related("user", "organization")


class SideInline(admin.TabularInline):
    model = Side
    extra = 0
    exclude = content.translation_columns(Side)  # staff write them on the program's page


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "kind", "status", "starts_on", "ends_on", "capacity",
                    "balance"]
    list_filter = ["status", "kind", "balance", "organization", "starts_on"]
    search_fields = ["title", "summary", "organization__name"]
    date_hierarchy = "starts_on"
    list_select_related = ["organization"]
    inlines = [SideInline]
    # The main language's texts; staff write the others on the program's edit page.
    exclude = content.translation_columns(Program)


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Applicants by display name; "Reveal identity" (with a reason, logged and shown to
    the person) is the one way to their legal name and email here."""

    list_display = ["applicant", "program", "side", "status", "created_at", "decided_at"]
    list_filter = ["status", "program__organization", "program__kind", "created_at"]
    # No search by email: under identity protection it would tie an address to a person.
    search_fields = ["applicant__display_name", "program__title"]
    list_select_related = ["applicant", "program", "side"]
    raw_id_fields = ["applicant", "program", "side"]
    readonly_fields = ["reveal_link"]
    date_hierarchy = "created_at"
    # The guardian's answer is theirs: shown, never edited here; the link's nonce and
    # hash are not shown at all.
    exclude = ["guardian_token_nonce", "guardian_token_hash"]
    readonly_fields = ["guardian_consent", "guardian_name", "guardian_answered_at",
                       "guardian_link_expires_at"]

    def get_urls(self):
        return [path("<int:pk>/reveal/", self.admin_site.admin_view(self.reveal_view),
                     name="exchanges_application_reveal"), *super().get_urls()]

    @admin.display(description=_("identity"))
    def reveal_link(self, application: Application) -> str:
        if application.pk is None:
            return "—"
        url = reverse("admin:exchanges_application_reveal", args=[application.pk])
        return format_html('<a href="{}">{}</a>', url, _("Reveal identity, with a reason"))

    def reveal_view(self, request, pk):
        application = get_object_or_404(
            Application.objects.select_related("program__organization", "applicant"), pk=pk)
        if not self.has_view_permission(request, application):
            raise PermissionDenied
        form, revealed = RevealForm(request.POST or None), None
        if request.method == "POST" and form.is_valid():
            try:
                revealed = identity_services.identity_reveal(
                    application=application, actor=request.user, via="admin",
                    reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_error("reason", error.message_dict.get("reason", error.messages))
            except identity_services.RevealRefused as refused:
                form.add_error(None, refused.message)
        return TemplateResponse(request, "admin/exchanges/application_reveal.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "application": application, "form": form, "revealed": revealed,
            "title": _("Reveal the identity of %(name)s")
            % {"name": application.applicant.display_name},
        })


@admin.register(Reveal)
class RevealAdmin(admin.ModelAdmin):
    """Every reveal and every refused attempt; read-only evidence."""

    list_display = ["created_at", "outcome", "refusal", "actor_display_name", "actor_role",
                    "organization", "via", "reason"]
    list_filter = ["outcome", "refusal", "via", "organization"]
    list_select_related = ["organization"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VerbFilter(admin.SimpleListFilter):
    """The verbs in the log, by their labels."""

    title = _("what")
    parameter_name = "verb"

    def lookups(self, request, model_admin):
        verbs = ActivityLog.objects.values_list("verb", flat=True).distinct()
        return sorted(((verb, verb_label(verb)) for verb in verbs), key=lambda c: c[1])

    def queryset(self, request, queryset):
        return queryset.filter(verb=self.value()) if self.value() else queryset


@admin.register(ActivityLog)
class ActivityLogAdmin(admin.ModelAdmin):
    """Read-only: the log is evidence, so nobody edits or deletes it here."""

    list_display = ["created_at", "actor", "what", "target_repr", "organization", "ip_address"]
    list_filter = [VerbFilter, "organization", ("actor", admin.RelatedOnlyFieldListFilter),
                   "created_at"]
    search_fields = ["verb", "target_repr", "actor__email", "actor__display_name"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "organization"]

    @admin.display(description=_("what"), ordering="verb")
    def what(self, entry):
        return entry.verb_label

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
