"""The numbers behind the console's dashboard, from the runs table and the heartbeat rows.

Bounded work on a big table: one grouped count over the last ``HOURS`` hours of runs, and the
durations of at most ``MAX_RUNS_SAMPLED`` recent finished runs for the per-graph figures.
"""
import math
from datetime import timedelta

from django.db.models import Count, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from console.models import Worker
from runs.models import FINISHED_STATUSES, Run, RunStatus

HOURS = 24
MAX_RUNS_SAMPLED = 5000


def percentile(values, fraction):
    """Nearest-rank percentile of a sorted list (None when empty)."""
    if not values:
        return None
    index = max(0, min(len(values) - 1, math.ceil(fraction * len(values)) - 1))
    return values[index]


def runs_over_time(now, hours=HOURS):
    start = (now - timedelta(hours=hours - 1)).replace(minute=0, second=0, microsecond=0)
    buckets = [start + timedelta(hours=i) for i in range(hours)]
    counts = {status: [0] * hours for status in RunStatus.values}
    rows = (Run.objects.filter(created_at__gte=start).annotate(hour=TruncHour("created_at"))
            .values("hour", "status").annotate(n=Count("pk")).order_by())
    for row in rows:
        index = int((row["hour"] - start).total_seconds() // 3600)
        if 0 <= index < hours and row["status"] in counts:
            counts[row["status"]][index] += row["n"]
    return {
        "labels": [bucket.strftime("%H:00") for bucket in buckets],
        "series": {status: values for status, values in counts.items() if any(values)},
    }


def per_graph(now, hours=HOURS):
    rows = (Run.objects.filter(created_at__gte=now - timedelta(hours=hours), status__in=FINISHED_STATUSES)
            .order_by("-created_at").values_list("graph_id", "status", "started_at", "ended_at")[:MAX_RUNS_SAMPLED])
    graphs = {}
    for graph_id, status, started, ended in rows:
        entry = graphs.setdefault(graph_id, {"finished": 0, "errors": 0, "durations": []})
        entry["finished"] += 1
        entry["errors"] += status in (RunStatus.ERROR, RunStatus.TIMEOUT)
        if started and ended:
            entry["durations"].append((ended - started).total_seconds())
    out = []
    for graph_id in sorted(graphs):
        entry = graphs[graph_id]
        durations = sorted(entry["durations"])
        out.append({
            "graph_id": graph_id, "finished": entry["finished"], "errors": entry["errors"],
            "error_rate": entry["errors"] / entry["finished"],
            "p50": percentile(durations, 0.5), "p95": percentile(durations, 0.95),
        })
    return out


def snapshot(now=None):
    now = now or timezone.now()
    live = Worker.objects.live(now)
    totals = live.aggregate(streams=Sum("streams"), running=Sum("running"))
    return {
        "generated_at": now.isoformat(),
        "hours": HOURS,
        "pending": Run.objects.pending().count(),
        "running": Run.objects.filter(status=RunStatus.RUNNING).count(),
        "active_streams": totals["streams"] or 0,
        "live_workers": live.executing().count(),
        "over_time": runs_over_time(now),
        "graphs": per_graph(now),
    }
