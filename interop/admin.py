from django.contrib import admin

from interop.models import ExecutorBeat


@admin.register(ExecutorBeat)
class ExecutorBeatAdmin(admin.ModelAdmin):
    """The executors that sent a heartbeat lately (server processes in embedded mode, workers)."""

    list_display = ("worker_id", "hostname", "pid", "concurrency", "running", "started_at", "seen_at")
    ordering = ("-seen_at",)
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
