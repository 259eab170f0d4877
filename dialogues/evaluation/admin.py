"""The admin's view of evaluations: settings and waves. Responses are left out on purpose:
they are read as statistics and the owner's pseudonymous export, never one by one."""

from django.contrib import admin

from dialogues.models import Evaluation, Wave


class WaveInline(admin.TabularInline):
    model = Wave
    extra = 0
    fields = ["name", "position", "opened_at", "closed_at", "invited_at"]
    readonly_fields = ["name", "position", "invited_at"]
    can_delete = False


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ["program", "created_at", "updated_at"]
    list_filter = ["program__organization"]
    list_select_related = ["program"]
    raw_id_fields = ["program"]
    inlines = [WaveInline]
