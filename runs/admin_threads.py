"""Admin of threads: status, metadata and latest run in the list; state and runs on the detail page.

Threads are read-only here (they change through runs and the API); deleting one goes through
``threads.services`` so that its runs are cancelled and its events and checkpoints removed too.
A thread's page shows its runs, so its admin lives in the runs app (above threads); runs/admin.py
imports this module to register it.
"""
import json

from django.contrib import admin, messages
from django.contrib.admin import DateFieldListFilter
from django.db.models import OuterRef, Q, Subquery
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from agentserver.admin_display import (
    IdOrTextSearchMixin,
    ReadOnlyAdminMixin,
    admin_link,
    json_display,
    run_duration,
    short_json,
    status_badge,
)
from runs.admin_actions import cancel_matching
from runs.models import Run
from streaming.selectors import log_head
from threads import services
from threads.models import Thread

INLINE_RUNS = 20
HISTORY_LIMIT = 20
MAX_DIFF_CHARS = 5000
MESSAGE_ROLES = {"human": "user", "user": "user", "ai": "assistant", "assistant": "assistant",
                 "tool": "tool", "system": "system", "function": "tool"}


def _message_text(content):
    """A message's content as text: a string, or the text of its content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
            else:
                parts.append(short_json(block, 200))
        return "\n".join(parts)
    return short_json(content, 500)


def transcript_html(messages):
    """A thread's ``messages`` as a chat transcript: one bubble per message, tool calls listed."""
    if not isinstance(messages, list) or not messages:
        return format_html('<p class="help">{}</p>', "No messages in this thread's state.")
    items = []
    for message in messages:
        if not isinstance(message, dict):
            items.append(format_html('<li class="chat-msg chat-other"><pre>{}</pre></li>', short_json(message, 500)))
            continue
        kind = message.get("type") or message.get("role") or "message"
        role = MESSAGE_ROLES.get(kind, "other")
        calls = message.get("tool_calls") or []
        extra = format_html_join("", '<div class="chat-call">→ {}({})</div>',
                                 ((c.get("name", "?"), short_json(c.get("args", {}), 200)) for c in calls
                                  if isinstance(c, dict)))
        label = kind if role != "tool" else f"tool {message.get('name') or ''}".strip()
        items.append(format_html('<li class="chat-msg chat-{}"><div class="chat-who">{}</div><div class="chat-text">{}</div>{}</li>',
                                 role, label, _message_text(message.get("content")), extra))
    return format_html('<ol class="chat-transcript">{}</ol>', format_html_join("", "{}", ((i,) for i in items)))


def values_diff(old, new):
    """What a step changed in the state values: {key: {"+": ..., "-": ...}}; for a list that only
    grew, the appended items."""
    old, new = old or {}, new or {}
    if not isinstance(old, dict) or not isinstance(new, dict):
        return {} if old == new else {"(values)": {"-": old, "+": new}}
    changes = {}
    for key in sorted(set(old) | set(new), key=str):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key not in old:
            changes[key] = {"+": after}
        elif key not in new:
            changes[key] = {"-": before}
        elif isinstance(before, list) and isinstance(after, list) and after[:len(before)] == before:
            changes[key] = {"appended": after[len(before):]}
        else:
            changes[key] = {"-": before, "+": after}
    return changes


def history_html(states):
    rows = []
    for index, state in enumerate(states):
        older = states[index + 1]["values"] if index + 1 < len(states) else {}
        meta = state.get("metadata") or {}
        checkpoint = (state.get("checkpoint") or {}).get("checkpoint_id") or ""
        diff = values_diff(older, state.get("values"))
        rows.append(format_html(
            '<tr><td>{}</td><td>{}</td><td><span class="console-id" title="{}">…{}</span></td><td>{}</td>'
            '<td>{}</td><td><pre class="history-diff">{}</pre></td></tr>',
            meta.get("step", ""), meta.get("source", ""), checkpoint, checkpoint[-8:],
            ", ".join(state.get("next") or []) or "-", str(state.get("created_at") or "")[:23],
            json.dumps(diff, indent=2, ensure_ascii=False, default=str)[:MAX_DIFF_CHARS] if diff
            else "(no change to the values)"))
    if not rows:
        return format_html('<p class="help">{}</p>', "No checkpoints.")
    return format_html('<table class="checkpoint-history"><thead><tr><th>step</th><th>source</th><th>checkpoint</th>'
                       '<th>next</th><th>created</th><th>changed</th></tr></thead><tbody>{}</tbody></table>',
                       format_html_join("", "{}", ((r,) for r in rows)))


class LatestRunsFormSet(BaseInlineFormSet):
    """Only the thread's latest runs (a thread may have thousands)."""

    def get_queryset(self):
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset().order_by("-created_at")[:INLINE_RUNS]
        return self._latest


class RunInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Run
    formset = LatestRunsFormSet
    fields = ("run_display", "status_display", "graph_id", "created_at", "duration")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = f"runs (latest {INLINE_RUNS})"

    @admin.display(description="run")
    def run_display(self, obj):
        return admin_link("runs.run", obj.run_id)

    @admin.display(description="status")
    def status_display(self, obj):
        return status_badge(obj.status)

    @admin.display(description="duration")
    def duration(self, obj):
        return run_duration(obj)


    def has_delete_permission(self, request, obj=None):
        return False


@admin.action(description="Cancel the active runs of selected threads (interrupt)", permissions=("cancel",))
def cancel_thread_runs(modeladmin, request, queryset):
    cancelled = []
    for thread_id in queryset.values_list("pk", flat=True):
        cancelled += cancel_matching(thread_id=thread_id, action="interrupt").cancelled_ids
    if cancelled:
        messages.success(request, f"Cancel requested for {len(cancelled)} run(s): {', '.join(map(str, cancelled[:20]))}")
    else:
        messages.warning(request, "The selected threads have no active runs.")


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdminMixin, IdOrTextSearchMixin, admin.ModelAdmin):
    list_display = ("thread_id", "status_display", "metadata_preview", "latest_run", "created_at", "updated_at", "temporary")
    list_filter = ("status", "temporary", ("created_at", DateFieldListFilter))
    search_fields = ("=thread_id",)
    search_help_text = "A thread id; any other text is searched in the metadata."
    ordering = ("-created_at",)
    show_full_result_count = False
    list_per_page = 50
    actions = [cancel_thread_runs]
    inlines = [RunInline]
    fieldsets = (
        ("Thread", {"fields": ("thread_id", "status_display", "temporary", "created_at", "updated_at",
                               "state_updated_at", "active_run", "events_head", "all_runs")}),
        ("Messages", {"fields": ("transcript",)}),
        ("State", {"fields": ("values_json", "interrupts_json", "error_json")}),
        (f"Checkpoint history (latest {HISTORY_LIMIT}, newest first, with what each step changed)",
         {"fields": ("history",)}),
        ("Metadata and config", {"fields": ("metadata_json", "config_json")}),
    )
    readonly_fields = tuple(name for _, options in fieldsets for name in options["fields"])

    def get_queryset(self, request):
        latest = Run.objects.filter(thread_id=OuterRef("pk")).order_by("-created_at")
        return super().get_queryset(request).annotate(
            latest_run_id=Subquery(latest.values("run_id")[:1]),
            latest_run_status=Subquery(latest.values("status")[:1]),
        )

    id_search_fields = ("pk",)

    def text_search(self, term):
        return Q(metadata__icontains=term)

    @admin.display(description="status", ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status)

    @admin.display(description="metadata")
    def metadata_preview(self, obj):
        return short_json(obj.metadata, 60)

    @admin.display(description="latest run")
    def latest_run(self, obj):
        if not obj.latest_run_id:
            return "-"
        return format_html("{} {}", admin_link("runs.run", obj.latest_run_id, str(obj.latest_run_id)[:13] + "…"),
                           status_badge(obj.latest_run_status))

    @admin.display(description="active run")
    def active_run(self, obj):
        return admin_link("runs.run", obj.active_run_id) if obj.active_run_id else "-"

    @admin.display(description="events")
    def events_head(self, obj):
        return log_head(thread_id=obj.thread_id) or 0

    @admin.display(description="runs")
    def all_runs(self, obj):
        url = reverse("admin:runs_run_changelist") + f"?q={obj.thread_id}"
        return format_html('<a href="{}">all runs of this thread</a>', url)

    values_json = json_display("values", "values")

    class Media:
        css = {"all": ("agentserver/admin.css",)}

    @admin.display(description="transcript")
    def transcript(self, obj):
        values = obj.values if isinstance(obj.values, dict) else {}
        return transcript_html(values.get("messages"))

    @admin.display(description="history")
    def history(self, obj):
        from threads.selectors import get_thread_history

        try:
            states = get_thread_history(thread_id=obj.thread_id, limit=HISTORY_LIMIT)
        except Exception as exc:  # noqa: BLE001 - the graph cannot load, the checkpointer is down, ...
            return format_html('<p class="help">History unavailable: {}: {}</p>', type(exc).__name__, exc)
        return history_html([json.loads(json.dumps(state, default=str)) for state in states])

    interrupts_json = json_display("interrupts", "interrupts")

    error_json = json_display("error", "error")

    metadata_json = json_display("metadata", "metadata")

    config_json = json_display("config", "config")


    def has_cancel_permission(self, request):
        return request.user.has_perm("runs.change_run")

    def delete_model(self, request, obj):
        services.delete_thread(thread_id=obj.thread_id)

    def delete_queryset(self, request, queryset):
        services.prune_threads(thread_ids=list(queryset.values_list("pk", flat=True)), strategy="delete")
