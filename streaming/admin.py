"""Admin of the event log: read-only, newest first, searchable by run or thread id.

The table can hold millions of rows: no DISTINCT-based filters, no full COUNT(*), no joins (the
run and thread are shown from their raw ids).
"""
from django.contrib import admin
from django.db.models import Q

from agentserver.admin_display import IdOrTextSearchMixin, ReadOnlyAdminMixin, admin_link, pretty_json_text
from agentserver.cli import truncate
from streaming.models import Event

# Event names start with their stream mode ("messages/partial", "updates|sub:1", ...).
EVENT_KINDS = (
    "metadata", "values", "updates", "messages", "custom", "events", "debug", "tasks", "checkpoints",
    "error", "state_update",
)


class EventKindFilter(admin.SimpleListFilter):
    title = "event"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind, kind) for kind in EVENT_KINDS]

    def queryset(self, request, queryset):
        return queryset.filter(event__startswith=self.value()) if self.value() else queryset


class ScopeFilter(admin.SimpleListFilter):
    title = "scope"
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("run", "run events"), ("thread", "thread-level events")]

    def queryset(self, request, queryset):
        if self.value() == "run":
            return queryset.filter(run_id__isnull=False)
        if self.value() == "thread":
            return queryset.filter(run_id__isnull=True)
        return queryset


class IdFilter(admin.SimpleListFilter):
    """``?run=<id>`` / ``?thread=<id>``: the events of one run or thread (the links of their pages)."""

    column = None

    def lookups(self, request, model_admin):
        value = request.GET.get(self.parameter_name)
        return [(value, f"this {self.parameter_name}")] if value else []

    def queryset(self, request, queryset):
        return queryset.filter(**{self.column: self.value()}) if self.value() else queryset


class RunFilter(IdFilter):
    title = parameter_name = "run"
    column = "run_id"


class ThreadFilter(IdFilter):
    title = parameter_name = "thread"
    column = "thread_id"


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, IdOrTextSearchMixin, admin.ModelAdmin):
    list_display = ("id", "event", "run_display", "seq", "thread_display", "thread_seq", "created_at", "data_preview")
    list_filter = (EventKindFilter, ScopeFilter, RunFilter, ThreadFilter)
    search_fields = ("=event",)
    search_help_text = "A run or thread id (exact), or an event name."
    ordering = ("-id",)
    list_select_related = ()
    show_full_result_count = False
    list_per_page = 100
    fields = ("id", "event", "run_display", "seq", "thread_display", "thread_seq", "created_at", "data_json")
    readonly_fields = fields

    @admin.display(description="run")
    def run_display(self, obj):
        return admin_link("runs.run", obj.run_id) if obj.run_id else "-"

    @admin.display(description="thread")
    def thread_display(self, obj):
        return admin_link("threads.thread", obj.thread_id)

    @admin.display(description="data")
    def data_preview(self, obj):
        return truncate(obj.data, 80)

    @admin.display(description="data")
    def data_json(self, obj):
        return pretty_json_text(obj.data)

    id_search_fields = ("run_id", "thread_id")

    def text_search(self, term):
        return Q(event=term)

    # The log is written by runs only; it is deleted with its runs/threads (or by `manage.py purge`).

    def has_delete_permission(self, request, obj=None):
        return False
