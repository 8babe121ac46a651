"""The console's admin pages: live workers (heartbeat rows) and the dashboard."""
from django.contrib import admin
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.timesince import timesince

from agentserver.admin_display import ReadOnlyAdminMixin
from console import dashboard
from console.models import Dashboard, Worker, stale_after
from runs.models import RunStatus


class LiveFilter(admin.SimpleListFilter):
    title = "liveness"
    parameter_name = "live"

    def lookups(self, request, model_admin):
        return [("yes", "live"), ("no", f"not seen for {stale_after():.0f} s")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.live()
        if self.value() == "no":
            return queryset.stale()
        return queryset


@admin.register(Worker)
class WorkerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("worker_id", "live_display", "kind", "host", "pid", "running_display", "streams",
                    "last_seen_display", "started_at")
    list_filter = (LiveFilter, "kind", "executes")
    search_fields = ("worker_id", "host")
    ordering = ("-last_seen",)

    @admin.display(description="live", boolean=True)
    def live_display(self, obj):
        return obj.is_live

    @admin.display(description="running runs", ordering="running")
    def running_display(self, obj):
        if not obj.executes:
            return "does not execute"
        url = reverse("admin:runs_run_changelist") + f"?status={RunStatus.RUNNING}&q={obj.worker_id}"
        return format_html('<a href="{}">{} / {}</a>', url, obj.running, obj.concurrency)

    @admin.display(description="last seen", ordering="last_seen")
    def last_seen_display(self, obj):
        return format_html('<span title="{}">{} ago</span>', obj.last_seen.isoformat(), timesince(obj.last_seen))


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    """Not a table: its changelist is the dashboard (``?format=json``: the numbers only)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def changelist_view(self, request, extra_context=None):
        data = dashboard.snapshot()
        if request.GET.get("format") == "json":
            return JsonResponse(data)
        context = {
            **self.admin_site.each_context(request),
            "title": "Dashboard",
            "opts": self.opts,
            "dashboard": data,
            "runs_url": reverse("admin:runs_run_changelist"),
            "workers_url": reverse("admin:console_worker_changelist"),
        }
        return TemplateResponse(request, "admin/console/dashboard.html", context)
