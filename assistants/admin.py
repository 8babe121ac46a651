"""Admin of assistants: graph, config, context and metadata, with their versions.

Assistants change through the API (every change is a new version); here they are read-only, and
deleting one goes through ``assistants.services.delete_assistant`` (its active runs are cancelled).
"""
from django.contrib import admin

from agentserver.admin_display import ReadOnlyAdminMixin, json_display, short_json
from assistants import services
from assistants.models import Assistant, AssistantVersion


class VersionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AssistantVersion
    fields = ("version", "name", "graph_id", "config_json", "context_json", "metadata_json", "created_at")
    readonly_fields = fields
    ordering = ("-version",)
    extra = 0
    can_delete = False

    config_json = json_display("config", "config")

    context_json = json_display("context", "context")

    metadata_json = json_display("metadata", "metadata")


    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Assistant)
class AssistantAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "assistant_id", "graph_id", "version", "metadata_preview", "created_at", "updated_at")
    list_filter = ("graph_id",)
    search_fields = ("name", "=assistant_id", "graph_id")
    ordering = ("-created_at",)
    inlines = [VersionInline]
    fieldsets = (
        ("Assistant", {"fields": ("assistant_id", "name", "description", "graph_id", "version",
                                  "created_at", "updated_at")}),
        ("Configuration", {"fields": ("config_json", "context_json", "metadata_json")}),
    )
    readonly_fields = tuple(name for _, options in fieldsets for name in options["fields"])

    @admin.display(description="metadata")
    def metadata_preview(self, obj):
        return short_json(obj.metadata, 60)

    config_json = json_display("config", "config")

    context_json = json_display("context", "context")

    metadata_json = json_display("metadata", "metadata")


    def delete_model(self, request, obj):
        services.delete_assistant(assistant_id=obj.assistant_id)

    def delete_queryset(self, request, queryset):
        for assistant_id in queryset.values_list("pk", flat=True):
            services.delete_assistant(assistant_id=assistant_id)
