"""Admin of crons: schedule, next and last run in the list; enable/disable actions.

Crons are created through the API; here they are inspected, enabled, disabled and deleted (enabling
recomputes the next run from now through ``crons.services``)."""
from django.contrib import admin, messages

from agentserver.admin_display import admin_link, json_display
from crons import services
from crons.models import Cron


@admin.register(Cron)
class CronAdmin(admin.ModelAdmin):
    list_display = ("cron_id", "schedule", "timezone", "enabled", "next_run_date", "last_run_date",
                    "thread_link", "assistant_id", "end_time")
    list_filter = ("enabled",)
    search_fields = ("schedule",)
    ordering = ("-created_at",)
    actions = ("enable", "disable")
    readonly_fields = ("cron_id", "assistant_id", "thread_link", "schedule", "timezone", "end_time", "enabled",
                       "next_run_date", "last_run_date", "last_run_link", "on_run_completed", "payload_display",
                       "metadata_display", "created_at", "updated_at")
    fields = readonly_fields

    payload_display = json_display("payload", "payload")
    metadata_display = json_display("metadata", "metadata")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    @admin.display(description="thread")
    def thread_link(self, obj):
        return admin_link("threads.thread", obj.thread_id) if obj.thread_id else "stateless"

    @admin.display(description="last run")
    def last_run_link(self, obj):
        return admin_link("runs.run", obj.last_run_id)

    def _set_enabled(self, request, queryset, enabled):
        for cron_id in queryset.values_list("pk", flat=True):
            services.set_enabled(cron_id=cron_id, enabled=enabled)
        self.message_user(request, f"{'enabled' if enabled else 'disabled'} {queryset.count()} cron(s)",
                          messages.SUCCESS)

    @admin.action(description="Enable selected crons (next run computed from now)")
    def enable(self, request, queryset):
        self._set_enabled(request, queryset, True)

    @admin.action(description="Disable selected crons")
    def disable(self, request, queryset):
        self._set_enabled(request, queryset, False)
