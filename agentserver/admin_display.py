"""Rendering helpers shared by the admins of runs, threads, assistants and events."""
import json

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from agentserver.ids import parse_uuid

# Larger JSON documents are cut in the admin (the full value stays available through the API).
MAX_JSON_CHARS = 20_000
JSON_STYLE = "white-space: pre-wrap; word-break: break-word; margin: 0; max-height: 40em; overflow: auto"


def _pretty_text(value):
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)
    if len(text) > MAX_JSON_CHARS:
        text = text[:MAX_JSON_CHARS] + f"\n… ({len(text) - MAX_JSON_CHARS} more characters)"
    return text


def pretty_json(value):
    """A read-only, escaped, indented rendering of a JSON value."""
    return format_html('<pre class="agentserver-json" style="{}">{}</pre>', JSON_STYLE, _pretty_text(value))


def pretty_json_text(text):
    """As ``pretty_json`` for JSON stored as text (an event's ``data``); bad JSON is shown as is."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return format_html('<pre class="agentserver-json" style="{}">{}</pre>', JSON_STYLE, text)
    return pretty_json(value)


def short_json(value, width=80):
    """One line of compact JSON for list pages."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def admin_link(model_label, pk, text=None):
    """A link to the admin change page of ``model_label`` ("runs.run") object ``pk``."""
    if pk is None:
        return "-"
    app_label, model_name = model_label.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_change", args=[pk])
    return format_html('<a href="{}">{}</a>', url, text or pk)


def seconds_ms(started, ended, *, now=None):
    """``12.345 s``: a duration in seconds with milliseconds (``ended`` None: until now)."""
    if started is None:
        return "-"
    return f"{((ended or now or timezone.now()) - started).total_seconds():.3f} s"


def run_duration(run):
    """In seconds with milliseconds; a run still going shows its time so far (``fmt_duration``'s
    ``3m04s`` stays in the terminal commands)."""
    return seconds_ms(run.started_at, run.ended_at)


def short_id(value, *, url=None, length=8):
    """A UUID cut to its last ``length`` characters (the first ones of a uuid7 are its creation time,
    the same for runs made together), the full one in the title, linked to ``url``, with a copy
    button (``data-copy``; ``agentserver/copy.js`` handles it)."""
    if value is None:
        return "-"
    full = str(value)
    text = "…" + full[-length:]
    if url:
        shown = format_html('<a class="console-id" href="{}" title="{}">{}</a>', url, full, text)
    else:
        shown = format_html('<span class="console-id" title="{}">{}</span>', full, text)
    return format_html('<span class="console-idbox">{}<button type="button" class="console-copy" data-copy="{}" '
                       'title="copy {}">copy</button></span>', shown, full, full)


def relative_time(value, *, now=None):
    """``12 s ago``, ``3 minutes ago`` (the exact time in the title)."""
    if value is None:
        return "-"
    seconds = ((now or timezone.now()) - value).total_seconds()
    ago = f"{max(0, int(seconds))} s" if seconds < 60 else timesince(value, now=now).split(",")[0]
    return format_html('<time datetime="{}" title="{}">{} ago</time>', value.isoformat(),
                       value.strftime("%Y-%m-%d %H:%M:%S.%f")[:23] + " UTC", ago)


def error_summary(error, width=80):
    """``ValueError: boom`` on one line from a run's error document."""
    if not error:
        return ""
    if isinstance(error, dict):
        text = ": ".join(str(part) for part in (error.get("error"), error.get("message")) if part)
    else:
        text = str(error)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def json_display(attr, description=None):
    """An admin field showing ``obj.<attr>`` as pretty JSON ("-" for None)."""

    def show(self, obj):
        value = getattr(obj, attr)
        return "-" if value is None else pretty_json(value)

    show.short_description = description or attr
    return show


class ReadOnlyAdminMixin:
    """Rows are written by the API's services only: no adding or editing by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class IdOrTextSearchMixin:
    """Admin search: a UUID matches ``id_search_fields`` exactly (through their indexes); any other
    text is looked up by ``text_search(term)``, a Q (by default it matches nothing)."""

    id_search_fields = ()

    def text_search(self, term):
        return Q(pk__in=[])

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        uid = parse_uuid(term)
        if uid is None:
            return queryset.filter(self.text_search(term)), False
        by_id = Q()
        for field in self.id_search_fields:
            by_id |= Q(**{field: uid})
        return queryset.filter(by_id), False


STATUS_COLORS = {
    "pending": "#777", "running": "#1f6feb", "success": "#1a7f37", "error": "#cf222e",
    "interrupted": "#9a6700", "timeout": "#cf222e", "idle": "#1a7f37", "busy": "#1f6feb",
}


def status_badge(status):
    color = STATUS_COLORS.get(status, "#777")
    return format_html('<strong style="color: {}">{}</strong>', color, status)
