from django.contrib import admin

from core import content
from dialogues.models import (
    RSVP,
    CalendarFeed,
    DialogueGroup,
    GroupMember,
    GroupRound,
    Outcome,
    ReminderRule,
    Session,
)


class RSVPInline(admin.TabularInline):
    model = RSVP
    extra = 0
    raw_id_fields = ["participant"]


class OutcomeInline(admin.TabularInline):
    """Outcomes are recorded through the service, which decides whether the author is
    stored; one added here would put its recorder in the admin's log."""

    model = Outcome
    extra = 0
    readonly_fields = ["author", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["title", "program", "format", "starts_at", "timezone", "confidentiality",
                    "status"]
    list_filter = ["status", "format", "confidentiality", "program__organization", "starts_at"]
    search_fields = ["title", "program__title"]
    date_hierarchy = "starts_at"
    list_select_related = ["program"]
    raw_id_fields = ["program", "group"]
    filter_horizontal = ["facilitators"]
    inlines = [RSVPInline, OutcomeInline]
    # The main language's texts; staff write the others on the session's edit page.
    exclude = content.translation_columns(Session)


@admin.register(RSVP)
class RSVPAdmin(admin.ModelAdmin):
    list_display = ["participant", "session", "response", "ground_rules_accepted_at", "attended"]
    list_filter = ["response", "attended", "session__program__organization"]
    search_fields = ["participant__display_name", "session__title"]
    list_select_related = ["participant", "session"]
    raw_id_fields = ["participant", "session"]


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    list_display = ["kind", "session", "created_at"]
    list_filter = ["kind", "session__program__organization", "created_at"]
    search_fields = ["text", "session__title"]
    list_select_related = ["session"]
    raw_id_fields = ["session"]
    readonly_fields = ["session", "author", "created_at"]

    def has_add_permission(self, request):
        return False  # as on OutcomeInline


@admin.register(ReminderRule)
class ReminderRuleAdmin(admin.ModelAdmin):
    list_display = ["program", "kind", "offset_minutes"]
    list_filter = ["kind", "program__organization"]
    list_select_related = ["program"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    raw_id_fields = ["user"]
    exclude = ["token"]


class ReadOnly:
    """Groups are made, changed and repaired on the program's groups page (and the API),
    where the balance rule is kept and the changes logged; the admin only shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GroupMemberInline(ReadOnly, admin.TabularInline):
    model = GroupMember
    extra = 0
    raw_id_fields = ["participant", "round"]


@admin.register(GroupRound)
class GroupRoundAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["program", "number", "size", "languages", "max_per_institution", "rotate",
                    "created_at"]
    list_filter = ["program__organization"]
    list_select_related = ["program"]
    raw_id_fields = ["program"]


@admin.register(DialogueGroup)
class DialogueGroupAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["__str__", "round"]
    list_select_related = ["round__program"]
    raw_id_fields = ["round"]
    inlines = [GroupMemberInline]
from dialogues.evaluation import admin as evaluation_admin  # noqa: E402, F401 - registers its own
