"""Admin of assistants: graph, config, context and metadata, with their versions.

Assistants change through the API (every change is a new version); here they are read-only, and
deleting one goes through ``assistants.services.delete_assistant`` (its active runs are cancelled).
"""
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from agentserver.admin_display import ReadOnlyAdminMixin, json_display, short_json
from assistants import introspection, services
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
        ("Graph", {"fields": ("graph_drawing",)}),
    )
    readonly_fields = tuple(name for _, options in fieldsets for name in options["fields"])

    class Media:
        # Mermaid (npm package, shipped in agentserver/static/agentserver/vendor/) draws the graph.
        js = ("agentserver/vendor/mermaid.min.js", "assistants/graph.js")
        css = {"all": ("agentserver/admin.css",)}

    @admin.display(description="graph")
    def graph_drawing(self, obj):
        """LangGraph's Mermaid drawing of the graph, and a link to the assistant's runs."""
        # The runs admin sits above this app: linked by URL name only. Its search takes an assistant id.
        runs = reverse("admin:runs_run_changelist") + f"?q={obj.assistant_id}"
        try:
            text = introspection.get_graph_mermaid(assistant=obj)
        except Exception as exc:  # noqa: BLE001 - a graph that cannot be drawn (or loaded) says why
            drawing = format_html('<p class="help">Cannot draw this graph: {}: {}</p>', type(exc).__name__, exc)
        else:
            drawing = format_html('<pre class="mermaid assistant-graph">{}</pre>'
                                  '<details><summary>Mermaid source</summary><pre>{}</pre></details>', text, text)
        return format_html('{}<p><a href="{}">runs of this assistant</a></p>', drawing, runs)

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
