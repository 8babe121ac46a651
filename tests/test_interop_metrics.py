"""GET /metrics against the live server, parsed with prometheus-client's own parser."""
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import collect

HI = {"messages": [{"type": "human", "content": "hi"}]}


def scrape(base_url):
    response = httpx.get(f"{base_url}/metrics", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples, name, **labels):
    """Sum over the series of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, lbls), v in samples.items() if n == name and wanted <= set(lbls))


async def test_counters_move_after_runs(sdk, base_url):
    before = scrape(base_url)
    thread = await sdk.threads.create()
    await sdk.runs.wait(thread["thread_id"], "echo", input=HI)
    await sdk.runs.wait(thread["thread_id"], "fail", input={}, raise_error=False)
    parts = await collect(sdk.runs.stream(thread["thread_id"], "echo", input=HI))
    assert parts[-1][0] == "values"
    after = scrape(base_url)

    assert value(after, "lg_api_runs", graph_id="echo", status="success") >= \
        value(before, "lg_api_runs", graph_id="echo", status="success") + 2
    assert value(after, "lg_api_runs", graph_id="fail", status="error") >= \
        value(before, "lg_api_runs", graph_id="fail", status="error") + 1
    for status in ("success", "error"):
        graph = "echo" if status == "success" else "fail"
        count = "lg_api_run_duration_seconds_count"
        assert value(after, count, graph_id=graph, status=status) > value(before, count, graph_id=graph, status=status)
        assert value(after, "lg_api_run_duration_seconds_bucket", graph_id=graph, status=status, le="+Inf") == \
            value(after, count, graph_id=graph, status=status)
    assert value(after, "lg_api_events_stored") > value(before, "lg_api_events_stored")
    assert total(after, "lg_api_http_request_duration_seconds_count", route="/threads/{id}/runs/wait") >= \
        total(before, "lg_api_http_request_duration_seconds_count", route="/threads/{id}/runs/wait") + 2
    assert total(after, "lg_api_http_request_duration_seconds_count", route="/metrics") >= 1
    assert total(after, "lg_api_threads") >= 1
    for gauge in ("lg_api_num_pending_runs", "lg_api_num_running_runs", "lg_api_queue_depth", "lg_api_workers",
                  "lg_api_workers_max", "lg_api_workers_active", "lg_api_workers_available", "lg_api_executors_busy",
                  "lg_api_active_streams", "lg_api_pending_runs_wait_time_max_seconds"):
        assert (gauge, ()) in after


async def test_running_run_and_open_stream_are_visible(sdk, base_url):
    thread = await sdk.threads.create()
    stream = sdk.runs.stream(thread["thread_id"], "slow", input={"n": 40, "delay": 0.05}, stream_mode="custom")
    async for part in stream:
        if part.event == "custom":
            during = scrape(base_url)
            break
    assert value(during, "lg_api_num_running_runs") >= 1
    assert value(during, "lg_api_workers_active") >= 1 and value(during, "lg_api_executors_busy") >= 1
    assert value(during, "lg_api_active_streams") >= 1
    assert value(during, "lg_api_runs", graph_id="slow", status="running") >= 1
    await stream.aclose()


def test_json_format_and_bad_format(http):
    body = http.get("/metrics", params={"format": "json"}).json()
    assert {"n_pending", "n_running", "queue_depth", "workers", "workers_max", "workers_active"} <= set(body["queue"])
    assert isinstance(body["events_stored"], int) and "requests" in body["http"]
    response = http.get("/metrics", params={"format": "xml"})
    assert response.status_code == 422 and "format" in response.json()["detail"]
    assert http.post("/metrics").status_code == 405


def test_live_executors_are_counted(base_url):
    """The server's embedded executor beats on start-up (a first beat, then every 10 s)."""
    deadline = time.monotonic() + 30
    while True:
        samples = scrape(base_url)
        if value(samples, "lg_api_workers") >= 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert value(samples, "lg_api_workers") >= 1
    assert value(samples, "lg_api_workers_max") >= 32  # WORKER_CONCURRENCY
    assert value(samples, "lg_api_workers_available") == \
        value(samples, "lg_api_workers_max") - value(samples, "lg_api_workers_active")


def test_multiprocess_mode_sums_process_metrics_from_the_shared_directory(tmp_path):
    from tests.conftest import GRAPHS_CONFIG
    from tests.interop_live import start_server

    server = start_server(GRAPHS_CONFIG, "multiproc", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    try:
        for _ in range(3):
            assert httpx.post(f"{server.url}/assistants/search", json={}, timeout=30).status_code == 200
        samples = scrape(server.url)
    finally:
        server.stop()
    assert total(samples, "lg_api_http_request_duration_seconds_count", route="/assistants/search") == 3
    assert ("lg_api_active_streams", ()) in samples and ("lg_api_num_pending_runs", ()) in samples
    assert list(tmp_path.glob("*.db"))  # the per-process files prometheus-client's collector reads
