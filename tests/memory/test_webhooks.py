"""Webhook URL policy (refused at run/cron creation and again before delivery), headers, retries."""
import httpx
import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from agentserver.graphs import GraphConfigError
from runs import webhook_policy, webhooks

REFUSED = [
    "http://127.0.0.1:9/hook", "http://localhost/hook", "http://api.localhost/hook",
    "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/hook", "http://192.168.0.10/hook",
    "http://172.16.5.4/hook", "http://100.64.0.1/hook", "http://0.0.0.0/hook", "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook", "http://[fe80::1]/hook", "ftp://example.com/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_run_with_a_refused_webhook_is_422_and_not_created(mhttp, url):
    thread = mhttp.post("/threads", json={}).json()
    response = mhttp.post(f"/threads/{thread['thread_id']}/runs", json={"assistant_id": "echo", "webhook": url})
    assert response.status_code == 422, response.text
    assert "webhook" in response.json()["detail"]
    assert mhttp.get(f"/threads/{thread['thread_id']}/runs").json() == []


@pytest.mark.parametrize("path", ["/runs", "/runs/crons", "/runs/wait"])
def test_stateless_runs_and_crons_refuse_too(mhttp, path):
    body = {"assistant_id": "echo", "webhook": "http://169.254.169.254/", "schedule": "* * * * *"}
    response = mhttp.post(path, json=body)
    assert response.status_code == 422 and "webhook" in response.json()["detail"]


def test_a_public_webhook_is_accepted(mhttp):
    response = mhttp.post("/runs", json={"assistant_id": "echo", "input": {"messages": []},
                                         "webhook": "http://hooks.example.com/done"})
    assert response.status_code == 200 and response.json()["kwargs"]["webhook"] == "http://hooks.example.com/done"


def _policy(monkeypatch, conf):
    monkeypatch.setattr(webhook_policy, "config", lambda: conf)


@pytest.mark.parametrize("conf,url,ok", [
    ({"url": {}}, "http://hooks.example.com/x", False),  # a url policy means https by default
    ({"url": {}}, "https://hooks.example.com/x", True),
    ({"url": {"allowed_domains": ["*.corp.com"]}}, "https://a.corp.com/x", True),
    ({"url": {"allowed_domains": ["*.corp.com"]}}, "https://corp.com/x", False),
    ({"url": {"allowed_domains": ["hooks.example.com"]}}, "https://evil.example.com/x", False),
    ({"url": {"allowed_ports": [8443]}}, "https://hooks.example.com:8443/x", True),
    ({"url": {"allowed_ports": [8443]}}, "https://hooks.example.com/x", False),
    ({"url": {"max_url_length": 30}}, "https://hooks.example.com/" + "x" * 30, False),
    ({}, "http://127.0.0.1/x", False),
    ({}, "http://127.1/x", False),
    ({}, "http://2130706433/x", False),
    ({}, "http://0x7f.0.0.1/x", False),
    ({}, "http://0251.0376.0251.0376/x", False),  # 169.254.169.254 in octal
    ({"url": {"require_https": False, "disable_private_ips": False}}, "http://127.0.0.1/x", True),
])
def test_url_policy(monkeypatch, conf, url, ok):
    _policy(monkeypatch, conf)
    if ok:
        webhook_policy.check_url(url)
    else:
        with pytest.raises(webhook_policy.WebhookRefused):
            webhook_policy.check_url(url)


def test_a_host_resolving_to_a_private_address_is_refused_at_delivery(monkeypatch):
    _policy(monkeypatch, {})
    monkeypatch.setattr(webhook_policy, "resolve", lambda host, port: {"93.184.215.14", "127.0.0.1"})
    webhook_policy.check_url("http://rebind.example.com/x")  # fine as written
    with pytest.raises(webhook_policy.WebhookRefused, match="127.0.0.1"):
        webhook_policy.check_delivery("http://rebind.example.com/x")


def test_header_templates(monkeypatch):
    monkeypatch.setenv("LG_WEBHOOK_TOKEN", "abc")
    monkeypatch.setenv("SECRET_KEY", "nope")
    _policy(monkeypatch, {"headers": {"Authorization": "Bearer ${{ env.LG_WEBHOOK_TOKEN }}"}})
    assert webhook_policy.headers() == {"Authorization": "Bearer abc"}
    _policy(monkeypatch, {"headers": {"Authorization": "${{ env.SECRET_KEY }}"}})
    with pytest.raises(GraphConfigError, match="LG_WEBHOOK_"):
        webhook_policy.headers()


def _mock(monkeypatch, answers):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(answers[min(len(seen), len(answers)) - 1])

    monkeypatch.setattr(webhooks, "_client", lambda: httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    monkeypatch.setattr(webhooks.agent_settings, "WEBHOOK_RETRY_BACKOFF_SECONDS", 0.01)
    monkeypatch.setattr(webhook_policy, "resolve", lambda host, port: {"93.184.215.14"})
    return seen


def test_retries_with_backoff_then_succeeds(monkeypatch):
    _policy(monkeypatch, {"url": {"require_https": False}})
    seen = _mock(monkeypatch, [503, 502, 200])
    response = async_to_sync(webhooks._post)("http://hooks.example.com/x", b"{}", {"X-A": "1"})
    assert response.status_code == 200 and len(seen) == 3 and seen[0].headers["x-a"] == "1"


def test_client_errors_are_not_retried(monkeypatch):
    _policy(monkeypatch, {"url": {"require_https": False}})
    seen = _mock(monkeypatch, [404])
    with pytest.raises(httpx.HTTPStatusError):
        async_to_sync(webhooks._post)("http://hooks.example.com/x", b"{}", {})
    assert len(seen) == 1


def test_payload_as_the_reference_sends_it(api, monkeypatch):
    from runs.models import Run
    from threads.models import Thread

    thread = Thread.objects.create_now()
    now = timezone.now()
    run = Run.objects.create(thread=thread, assistant_id=thread.thread_id, graph_id="echo", available_at=now,
                             status="success", started_at=now, ended_at=now, output={"x": 1})
    _policy(monkeypatch, {})
    payload = webhooks._run_payload(run.run_id)
    for key in ("run_id", "thread_id", "status", "values", "run_started_at", "run_ended_at", "webhook_sent_at",
                "error", "kwargs", "metadata"):
        assert key in payload
    assert payload["values"] == {"x": 1}
    _policy(monkeypatch, {"allowed_fields": ["run_id", "status"]})
    assert set(webhooks._run_payload(run.run_id)) == {"run_id", "status", "langsmith_session_name"}


def test_delivery_is_pinned_to_the_checked_address(monkeypatch):
    _policy(monkeypatch, {})
    seen = _mock(monkeypatch, [200])
    async_to_sync(webhooks._post)("https://hooks.example.com:8443/done?x=1", b"{}", {})
    request = seen[0]
    assert request.url.host == "93.184.215.14" and request.url.port == 8443 and request.url.query == b"x=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


async def test_a_failing_webhook_never_affects_the_run(msdk):
    thread = await msdk.threads.create()
    run = await msdk.runs.create(thread["thread_id"], "echo", input={"messages": [{"type": "human", "content": "x"}]},
                                 webhook="http://hooks.invalid/done")  # never resolves
    await msdk.runs.join(thread["thread_id"], run["run_id"])
    assert (await msdk.runs.get(thread["thread_id"], run["run_id"]))["status"] == "success"
    assert (await msdk.threads.get(thread["thread_id"]))["status"] == "idle"
