"""Per-process HTTP metrics, recorded by an ASGI middleware around the whole application.

``lg_api_http_request_duration_seconds{method,route,status}``: time to the end of the response (for
a stream, its whole life); ``route`` is the path with ids replaced by ``{id}`` (unmatched paths are
one ``unmatched`` route, so label values stay few). ``lg_api_active_streams``: SSE responses open now.
"""
import re
import time

from prometheus_client import Gauge, Histogram

UUID_SEGMENT = re.compile(r"/[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}(?=/|$)")
NUMBER_SEGMENT = re.compile(r"/\d+(?=/|$)")

REQUEST_DURATION = Histogram(
    "lg_api_http_request_duration_seconds", "HTTP request latency (to the end of the response).",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
ACTIVE_STREAMS = Gauge("lg_api_active_streams", "SSE responses being streamed now.", multiprocess_mode="livesum")
IN_FLIGHT = Gauge("lg_api_http_requests_in_flight", "HTTP requests being served now.", multiprocess_mode="livesum")


def route_of(path, status):
    if status == 404:
        return "unmatched"
    path = UUID_SEGMENT.sub("/{id}", path)
    return NUMBER_SEGMENT.sub("/{id}", path) or "/"


def snapshot():
    """This process's request counts by (method, route, status) (for ``/metrics?format=json``)."""
    counts = []
    for metric in REQUEST_DURATION.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count"):
                counts.append({**sample.labels, "count": int(sample.value)})
    streams = [sample.value for metric in ACTIVE_STREAMS.collect() for sample in metric.samples]
    return {"requests": counts, "active_streams": int(sum(streams))}


class HttpMetricsMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        state = {"status": 500, "stream": False}

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                content_type = dict(message.get("headers") or []).get(b"content-type", b"")
                if content_type.startswith(b"text/event-stream"):
                    state["stream"] = True
                    ACTIVE_STREAMS.inc()
            await send(message)

        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            IN_FLIGHT.dec()
            if state["stream"]:
                ACTIVE_STREAMS.dec()
            REQUEST_DURATION.labels(scope.get("method", ""), route_of(scope.get("path", ""), state["status"]),
                                    str(state["status"])).observe(time.perf_counter() - started)
