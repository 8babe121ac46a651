"""Admin of thread TTLs: which threads expire, how, and when."""
from datetime import timedelta

from django.contrib import admin

from agentserver.admin_display import admin_link
from retention.models import ThreadTTL


@admin.register(ThreadTTL)
class ThreadTTLAdmin(admin.ModelAdmin):
    list_display = ("thread_link", "strategy", "ttl_minutes", "expires_at", "created_at")
    list_filter = ("strategy",)
    list_select_related = ("thread",)
    ordering = ("-created_at",)
    readonly_fields = ("thread_link", "strategy", "ttl_minutes", "expires_at", "created_at")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="thread")
    def thread_link(self, obj):
        return admin_link("threads.thread", obj.thread_id)

    @admin.display(description="expires at (unless updated)")
    def expires_at(self, obj):
        return obj.thread.updated_at + timedelta(minutes=obj.ttl_minutes)
