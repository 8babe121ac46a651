"""Admin of runs: a fast, read-only list and detail page, the run's events, and cancel.

Everything that changes a run goes through ``runs.services`` (the functions the API uses): cancel
through ``cancel_runs`` (via ``runs.admin_actions``), delete through ``delete_run``.
"""
import json
import shlex

from django.contrib import admin, messages
from django.contrib.admin import DateFieldListFilter
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from agentserver.admin_display import (
    IdOrTextSearchMixin,
    ReadOnlyAdminMixin,
    admin_link,
    error_summary,
    json_display,
    pretty_json,
    relative_time,
    run_duration,
    short_id,
    status_badge,
)
from agentserver.api.exceptions import ServiceError
from agentserver.cli import compact, compact_text
from agentserver.ids import parse_uuid
from runs import services
from runs.admin_actions import ACTIONS, cancel_with_report
from runs.models import ACTIVE_STATUSES, FINISHED_STATUSES, CancelAction, Run, RunStatus

EVENTS_PER_PAGE = 50
# The runs list reloads itself this often while it shows an active run (and nothing is selected).
LIST_REFRESH_SECONDS = 5
MAX_MESSAGE_LINES = 20


class GraphFilter(admin.SimpleListFilter):
    """Graphs of langgraph.json and of the assistants table (small), not a DISTINCT over every run."""

    title = "graph"
    parameter_name = "graph"

    def lookups(self, request, model_admin):
        from agentserver.graphs import GraphConfigError, registry
        from assistants.models import Assistant

        graphs = set(Assistant.objects.values_list("graph_id", flat=True).distinct())
        try:
            graphs.update(registry.graph_ids())
        except GraphConfigError:
            pass
        if self.value():
            graphs.add(self.value())
        return [(graph_id, graph_id) for graph_id in sorted(graphs)]

    def queryset(self, request, queryset):
        return queryset.filter(graph_id=self.value()) if self.value() else queryset


def event_kind(name):
    """An event's stream mode: ``messages/partial`` -> ``messages``, ``updates|sub:1`` -> ``updates``."""
    return name.split("|", 1)[0].split("/", 1)[0]


def pretty_json_text_plain(text):
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(text)


# The run-create options a re-run repeats (runs.services.KWARG_KEYS, less the one-off ones).
RERUN_KEYS = ("input", "command", "config", "context", "stream_mode", "interrupt_before", "interrupt_after",
              "webhook", "feedback_keys", "durability")


def rerun_payload(run):
    payload = {key: run.kwargs.get(key) for key in RERUN_KEYS if run.kwargs.get(key) is not None}
    payload.update(assistant_id=str(run.assistant_id), metadata=run.metadata or {},
                   multitask_strategy=run.multitask_strategy)
    if run.kwargs.get("subgraphs"):
        payload["stream_subgraphs"] = True
    return payload


def manage_py_run_command(run):
    """The ``manage.py run`` command line that repeats this run from a shell (on its thread)."""
    args = ["python", "manage.py", "run", "--graph", run.graph_id]
    kwargs = run.kwargs or {}
    if kwargs.get("command") and isinstance(kwargs["command"], dict) and "resume" in kwargs["command"]:
        args += ["--resume", compact(kwargs["command"]["resume"])]
    else:
        args += ["--input", compact(kwargs.get("input") or {})]
    for key in ("config", "context"):
        if kwargs.get(key):
            args += [f"--{key}", compact(kwargs[key])]
    if run.metadata:
        args += ["--metadata", compact(run.metadata)]
    for mode in run.stream_modes:
        args += ["--stream-mode", mode]
    if not kwargs.get("temporary"):
        args += ["--thread", str(run.thread_id)]
    return shlex.join(args)


def report_cancel(request, report):
    """Turn a CancelReport into admin messages: a summary, then one line per run (capped)."""
    level = messages.SUCCESS if report.cancelled else messages.WARNING
    messages.add_message(request, level, f"Cancel ({report.action}): {report.summary()}.")
    lines = report.lines()
    for line in lines[:MAX_MESSAGE_LINES]:
        messages.add_message(request, messages.INFO, line)
    if len(lines) > MAX_MESSAGE_LINES:
        messages.add_message(request, messages.INFO, f"… and {len(lines) - MAX_MESSAGE_LINES} more runs.")


def _cancel_action(action):
    def cancel(modeladmin, request, queryset):
        report = cancel_with_report(run_ids=list(queryset.values_list("pk", flat=True)), action=action)
        report_cancel(request, report)

    cancel.__name__ = f"cancel_{action}"
    cancel.short_description = f"Cancel selected runs ({action})"
    cancel.allowed_permissions = ("cancel",)
    return cancel


class JSONFieldsMixin:
    """Read-only pretty renderings of the run's JSON (top-level and inside ``kwargs``)."""

    @admin.display(description="input")
    def input_json(self, obj):
        return pretty_json(obj.kwargs.get("input"))

    @admin.display(description="command")
    def command_json(self, obj):
        return pretty_json(obj.kwargs.get("command"))

    @admin.display(description="config")
    def config_json(self, obj):
        return pretty_json(obj.kwargs.get("config") or {})

    @admin.display(description="context")
    def context_json(self, obj):
        return pretty_json(obj.kwargs.get("context") or {})

    metadata_json = json_display("metadata", "metadata")

    error_json = json_display("error", "error")

    output_json = json_display("output", "output")

    kwargs_json = json_display("kwargs", "all kwargs")

    @admin.display(description="stream mode")
    def stream_mode(self, obj):
        return ", ".join(obj.stream_modes)


@admin.register(Run)
class RunAdmin(ReadOnlyAdminMixin, JSONFieldsMixin, IdOrTextSearchMixin, admin.ModelAdmin):
    list_display = ("run_display", "status_display", "graph_id", "thread_short", "created_display", "duration",
                    "event_count", "error_display")
    # The id column links to the run itself (beside its copy button).
    list_display_links = None
    list_filter = ("status", GraphFilter, ("created_at", DateFieldListFilter))
    # The real search is IdOrTextSearchMixin (by id through the indexes, else metadata text).
    search_fields = ("=run_id",)
    search_help_text = ("A run, thread or assistant id; any other text is searched in the run's and its "
                        "thread's metadata, the error, the graph and the worker.")
    ordering = ("-created_at",)
    list_select_related = ()
    show_full_result_count = False
    list_per_page = 50
    actions = [_cancel_action(action) for action in ACTIONS]
    fieldsets = (
        ("Run", {"fields": ("run_id", "status_display", "graph_id", "assistant_display", "thread_display",
                            "multitask_strategy", "stream_mode")}),
        ("Timing", {"fields": ("created_at", "updated_at", "started_at", "ended_at", "duration", "attempt",
                               "worker_id", "lease_expires_at", "cancel_action")}),
        ("Input", {"fields": ("input_json", "command_json", "config_json", "context_json", "metadata_json")}),
        ("Outcome", {"fields": ("error_json", "output_json")}),
        ("Everything the run was created with", {"classes": ("collapse",), "fields": ("kwargs_json",)}),
    )
    readonly_fields = tuple(name for _, options in fieldsets for name in options["fields"])

    # --- columns ---------------------------------------------------------------------------
    def get_queryset(self, request):
        from streaming.models import Event

        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("_changelist"):
            # One indexed count per listed run (events are unique per run and seq).
            counts = (Event.objects.filter(run_id=OuterRef("pk")).order_by().values("run_id")
                      .annotate(n=Count("pk")).values("n"))
            queryset = queryset.annotate(event_total=Coalesce(Subquery(counts, output_field=IntegerField()), 0))
        return queryset

    @admin.display(description="run", ordering="run_id")
    def run_display(self, obj):
        return short_id(obj.run_id, url=reverse("admin:runs_run_change", args=[obj.pk]))

    @admin.display(description="thread")
    def thread_short(self, obj):
        return short_id(obj.thread_id, url=reverse("admin:threads_thread_change", args=[obj.thread_id]))

    @admin.display(description="created", ordering="created_at")
    def created_display(self, obj):
        return relative_time(obj.created_at)

    @admin.display(description="events", ordering="event_total")
    def event_count(self, obj):
        return getattr(obj, "event_total", "-")

    @admin.display(description="error")
    def error_display(self, obj):
        if obj.status not in FINISHED_STATUSES or not obj.error or obj.status == "interrupted":
            return ""
        summary = error_summary(obj.error)
        return format_html('<span class="console-error-summary" title="{}">{}</span>', summary, summary)

    @admin.display(description="status", ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status)

    @admin.display(description="thread")
    def thread_display(self, obj):
        return admin_link("threads.thread", obj.thread_id)

    @admin.display(description="assistant")
    def assistant_display(self, obj):
        return admin_link("assistants.assistant", obj.assistant_id)

    @admin.display(description="duration")
    def duration(self, obj):
        return run_duration(obj)

    # --- search ----------------------------------------------------------------------------
    id_search_fields = ("run_id", "thread_id", "assistant_id")

    def text_search(self, term):
        return (Q(metadata__icontains=term) | Q(graph_id=term) | Q(thread__metadata__icontains=term)
                | Q(error__icontains=term) | Q(worker_id=term))

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "list_refresh_seconds": LIST_REFRESH_SECONDS}
        return super().changelist_view(request, extra_context)

    # --- permissions: runs are created by the API/`manage.py run`, never edited by hand -----

    def has_cancel_permission(self, request):
        return request.user.has_perm("runs.change_run")

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status not in FINISHED_STATUSES:
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        """The confirmation page also says how many stream events go with the runs (they are not a
        foreign key of the run, so Django's collector does not see them)."""
        from streaming.models import Event

        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        run_ids = [obj.pk for obj in objs]
        events = Event.objects.filter(run_id__in=run_ids).count()
        model_count = {**model_count, "stream events": events}
        deleted = [*deleted, f"{events} stream event{'s' if events != 1 else ''} of {'this run' if len(run_ids) == 1 else 'these runs'}"]
        return deleted, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        from streaming.models import Event

        events = Event.objects.filter(run_id=obj.run_id).count()
        services.delete_run(thread_id=obj.thread_id, run_id=obj.run_id)
        messages.info(request, f"Run {obj.run_id} was deleted with its {events} stream event(s).")

    def delete_queryset(self, request, queryset):
        skipped = 0
        for thread_id, run_id in queryset.values_list("thread_id", "run_id"):
            try:
                services.delete_run(thread_id=thread_id, run_id=run_id)
            except ServiceError:
                skipped += 1
        if skipped:
            messages.warning(request, f"{skipped} active run(s) were not deleted; cancel them first.")

    # --- detail page: events, auto-refresh, cancel button ---------------------------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        extra = [path("<path:object_id>/cancel/", self.admin_site.admin_view(self.cancel_view),
                      name="{}_{}_cancel".format(*info)),
                 path("<path:object_id>/rerun/", self.admin_site.admin_view(self.rerun_view),
                      name="{}_{}_rerun".format(*info))]
        return extra + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = Run.objects.filter(pk=parse_uuid(object_id)).only(
            "run_id", "status", "thread_id", "graph_id", "assistant_id", "kwargs", "metadata", "error",
            "created_at", "started_at", "multitask_strategy").first()
        if run is not None:
            extra_context = {**(extra_context or {}), **self._detail_context(request, run)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _detail_context(self, request, run):
        from streaming.models import Event

        active = run.status in ACTIVE_STATUSES
        page = self._events_page(request, run, active)
        kinds = sorted({event_kind(name) for name in
                        Event.objects.filter(run_id=run.pk).order_by().values_list("event", flat=True).distinct()})
        base = f"/threads/{run.thread_id}/runs/{run.pk}"
        return {
            "run_active": active,
            "can_cancel": active and self.has_cancel_permission(request),
            "cancel_url": reverse("admin:runs_run_cancel", args=[run.pk]),
            "rerun_url": reverse("admin:runs_run_rerun", args=[run.pk]),
            "can_rerun": self.has_cancel_permission(request),
            "events_page": page,
            "event_kinds": kinds,
            # Live: an active run shown on its last page follows the run's own SSE join stream.
            "live": active and not page.has_next(),
            "stream_url": f"{base}/stream",
            "run_api_url": base,
            "last_seq": page.rendered[-1]["seq"] if page.rendered else 0,
            "started_at": (run.started_at or run.created_at).isoformat(),
            "run_error": run.error if run.status in (RunStatus.ERROR, RunStatus.TIMEOUT) and run.error else None,
            "run_command": manage_py_run_command(run),
            "events_changelist_url": reverse("admin:streaming_event_changelist") + f"?run={run.pk}",
        }

    def _events_page(self, request, run, active):
        from streaming.models import Event

        rows = Event.objects.filter(run_id=run.pk).order_by("seq").values_list("seq", "event", "data", "created_at")
        paginator = Paginator(rows, EVENTS_PER_PAGE)
        wanted = request.GET.get("events_page") or (paginator.num_pages if active else 1)
        page = paginator.get_page(wanted)
        origin = run.started_at or run.created_at
        page.rendered = [
            {"seq": seq, "event": event, "kind": event_kind(event), "created_at": created_at,
             "offset": f"+{(created_at - origin).total_seconds():.3f} s" if created_at and origin else "",
             "summary": compact_text(data, width=300), "data": pretty_json_text_plain(data)}
            for seq, event, data, created_at in page.object_list
        ]
        return page

    def rerun_view(self, request, object_id):
        """A new run with the same assistant, input and options, on the same thread (the thread's
        multitask strategy applies as for any new run)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_cancel_permission(request):
            raise PermissionDenied
        run = Run.objects.filter(pk=parse_uuid(object_id)).first()
        if run is None:
            messages.error(request, "No such run.")
            return HttpResponseRedirect(reverse("admin:runs_run_changelist"))
        try:
            new = services.create_run(payload=rerun_payload(run), thread_id=None if run.kwargs.get("temporary")
                                      else run.thread_id)
        except ServiceError as exc:
            messages.error(request, f"Cannot re-run: {exc}")
            return HttpResponseRedirect(reverse("admin:runs_run_change", args=[run.pk]))
        messages.success(request, f"Re-run of {run.pk}: new run {new.pk} ({new.status}).")
        return HttpResponseRedirect(reverse("admin:runs_run_change", args=[new.pk]))

    def cancel_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_cancel_permission(request):
            raise PermissionDenied
        action = request.POST.get("action", CancelAction.INTERRUPT)
        run_id = parse_uuid(object_id)
        if action not in ACTIONS or run_id is None:
            messages.error(request, f"Cannot cancel: action must be one of {', '.join(ACTIONS)}.")
            return HttpResponseRedirect(reverse("admin:runs_run_changelist"))
        report_cancel(request, cancel_with_report(run_ids=[run_id], action=action))
        if Run.objects.filter(pk=run_id).exists():
            return HttpResponseRedirect(reverse("admin:runs_run_change", args=[run_id]))
        return HttpResponseRedirect(reverse("admin:runs_run_changelist"))


# The thread admin shows runs, so it is registered from here (runs sit above threads).
from runs import admin_threads  # noqa: E402,F401
