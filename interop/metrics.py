"""GET /metrics: Prometheus text (or ``?format=json``), via prometheus-client.

Two kinds of metrics, so that many server and worker processes report one truth:

- computed from the database at scrape time (any process answers the same): runs by status and
  graph, queue depth and wait, run durations, events stored, executors busy, threads by status;
- per process (HTTP latency, active streams; see ``interop.http_metrics``). With
  ``PROMETHEUS_MULTIPROC_DIR`` set, prometheus-client's multi-process mode sums them over all the
  processes of the machine that share that directory.
"""
import os
from datetime import timedelta

import orjson
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from rest_framework.views import APIView

from agentserver.api.exceptions import unavailable_detail
from console.selectors import live_executors
from runs.models import FINISHED_STATUSES, Run, RunStatus
from streaming.models import Event
from threads.models import Thread

# Upper bounds (seconds) of the run-duration histogram.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


def queue_stats(*, now=None):
    """Pending/running counts, the ready queue's depth and its oldest wait; executors and run slots."""
    now = now or timezone.now()
    counts = Run.objects.aggregate(
        pending=Count("pk", filter=Q(status=RunStatus.PENDING)),
        running=Count("pk", filter=Q(status=RunStatus.RUNNING)),
        ready=Count("pk", filter=Q(status=RunStatus.PENDING, available_at__lte=now)),
        oldest=Min("available_at", filter=Q(status=RunStatus.PENDING, available_at__lte=now)),
    )
    leased = Run.objects.filter(status=RunStatus.RUNNING, lease_expires_at__gt=now).exclude(worker_id="")
    busy = leased.values("worker_id").distinct().count()
    executors = live_executors(now=now)
    active = leased.count()
    oldest = counts["oldest"]
    return {
        "n_pending": counts["pending"], "n_running": counts["running"], "queue_depth": counts["ready"],
        "pending_wait_max_seconds": max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
        "workers": executors["executors"], "workers_max": executors["concurrency"], "workers_active": active,
        "workers_available": max(executors["concurrency"] - active, 0), "executors_busy": busy,
    }


def runs_by_status_and_graph():
    rows = Run.objects.order_by().values("graph_id", "status").annotate(n=Count("pk"))
    return [(row["graph_id"], row["status"], row["n"]) for row in rows]


def run_durations():
    """Per (graph_id, status) of finished runs: cumulative bucket counts, count and sum of seconds."""
    duration = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    buckets = {f"le_{i}": Count("pk", filter=Q(duration__lte=timedelta(seconds=bound)))
               for i, bound in enumerate(DURATION_BUCKETS)}
    rows = (Run.objects.order_by().filter(status__in=FINISHED_STATUSES, started_at__isnull=False,
                                          ended_at__isnull=False)
            .annotate(duration=duration).values("graph_id", "status")
            .annotate(total=Count("pk"), seconds=Sum("duration"), **buckets))
    result = []
    for row in rows:
        cumulative = [(str(bound), row[f"le_{i}"]) for i, bound in enumerate(DURATION_BUCKETS)]
        cumulative.append(("+Inf", row["total"]))
        seconds = row["seconds"]
        total_seconds = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds or 0) / 1e6
        result.append((row["graph_id"], row["status"], cumulative, max(total_seconds, 0.0)))
    return result


def events_stored():
    return Event.objects.count()


def threads_by_status():
    return dict(Thread.objects.order_by().values_list("status").annotate(n=Count("pk")))


class DatabaseCollector:
    """Metrics read from the database when scraped (the same answer from every process)."""

    def collect(self):
        stats = queue_stats()
        yield _gauge("lg_api_num_pending_runs", "The number of runs currently pending.", stats["n_pending"])
        yield _gauge("lg_api_num_running_runs", "The number of runs currently running.", stats["n_running"])
        yield _gauge("lg_api_queue_depth", "Pending runs ready to start now (not scheduled for later).",
                     stats["queue_depth"])
        yield _gauge("lg_api_pending_runs_wait_time_max_seconds",
                     "How long the oldest ready pending run has been waiting.", stats["pending_wait_max_seconds"])
        yield _gauge("lg_api_workers", "Live executors (server processes in embedded mode, manage.py workers).",
                     stats["workers"])
        yield _gauge("lg_api_workers_max", "Run slots of the live executors (their concurrency, summed).",
                     stats["workers_max"])
        yield _gauge("lg_api_workers_active", "Run slots in use (running runs with a live lease).",
                     stats["workers_active"])
        yield _gauge("lg_api_workers_available", "Run slots free.", stats["workers_available"])
        yield _gauge("lg_api_executors_busy", "Executors running at least one run.", stats["executors_busy"])
        runs = GaugeMetricFamily("lg_api_runs", "Runs stored, by graph and status.", labels=["graph_id", "status"])
        for graph_id, status, n in runs_by_status_and_graph():
            runs.add_metric([graph_id, status], n)
        yield runs
        durations = HistogramMetricFamily("lg_api_run_duration_seconds", "Duration of finished runs stored.",
                                          labels=["graph_id", "status"])
        for graph_id, status, buckets, seconds in run_durations():
            durations.add_metric([graph_id, status], buckets, seconds)
        yield durations
        threads = GaugeMetricFamily("lg_api_threads", "Threads stored, by status.", labels=["status"])
        for status, n in sorted(threads_by_status().items()):
            threads.add_metric([status], n)
        yield threads
        yield _gauge("lg_api_events_stored", "Stream events stored (rows of the event log).", events_stored())


def _gauge(name, documentation, value):
    return GaugeMetricFamily(name, documentation, value=value)


def _process_registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def prometheus_text():
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return generate_latest(registry) + generate_latest(_process_registry())


def json_metrics():
    from interop import http_metrics

    return {"queue": queue_stats(), "runs": [{"graph_id": g, "status": s, "count": n}
                                             for g, s, n in runs_by_status_and_graph()],
            "events_stored": events_stored(), "threads": threads_by_status(), "http": http_metrics.snapshot()}


class MetricsView(APIView):
    def perform_content_negotiation(self, request, force=False):
        # ``?format=`` is this endpoint's own parameter, not DRF's renderer override.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request):
        return metrics_response(request.query_params.get("format", "prometheus"))


def metrics_response(fmt):
    if fmt not in ("prometheus", "json"):
        return JsonResponse({"detail": f"Invalid format {fmt!r}: expected 'prometheus' or 'json'"}, status=422)
    try:
        if fmt == "json":
            return HttpResponse(orjson.dumps(json_metrics()), content_type="application/json")
        return HttpResponse(prometheus_text(), content_type=CONTENT_TYPE_LATEST)
    except Exception as exc:  # noqa: BLE001 - a scrape while the database is down
        detail = unavailable_detail(exc)
        if detail is None:
            raise
        return JsonResponse({"detail": detail}, status=503)
