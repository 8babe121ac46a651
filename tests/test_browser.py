"""The operator console in a real browser: Debian's Chromium (``apt-get install chromium``) driven by
Playwright's Python package (no browser download), against the live daphne server (DEBUG off).

Screenshots of each page are written to ``tests/screenshots/`` (``AGENTSERVER_SCREENSHOTS`` to move
it). Without Chromium these tests are skipped, except under ``CI=true``, where they fail.
"""
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("AGENTSERVER_SCREENSHOTS") or ROOT / "tests" / "screenshots")
PASSWORD = "console-test-password"


def _need_browser():
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (requirements-dev.txt)")
    if not Path(CHROMIUM).exists():
        missing.append(f"chromium at {CHROMIUM} (apt-get install chromium)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def admin_user(agent_server):
    env = {**agent_server.env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD}
    subprocess.run([sys.executable, "manage.py", "createsuperuser", "--noinput", "--username", "ops",
                    "--email", "ops@example.com"], cwd=ROOT, env=env, check=False, capture_output=True)
    return "ops"


@pytest.fixture(scope="module")
def page(agent_server, admin_user):
    _need_browser()
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{agent_server.url}/admin/login/")
        page.fill("#id_username", admin_user)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{agent_server.url}/admin/")
        yield page
        context.close()
        browser.close()


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def start_run(url, graph, body, *, wait_running=True):
    thread = httpx.post(f"{url}/threads", json={}, timeout=10).json()["thread_id"]
    run = httpx.post(f"{url}/threads/{thread}/runs", json={"assistant_id": graph, **body}, timeout=10).json()
    if wait_running:
        deadline = time.time() + 20
        while time.time() < deadline:
            status = httpx.get(f"{url}/threads/{thread}/runs/{run['run_id']}", timeout=10).json()["status"]
            if status == "running":
                break
            time.sleep(0.05)
    return thread, run["run_id"]


def test_the_admin_is_styled_under_daphne_with_debug_off(page, agent_server):
    responses = []
    page.on("response", lambda r: responses.append((r.url, r.status)))
    page.goto(f"{agent_server.url}/admin/")
    css = [(u, s) for u, s in responses if u.endswith("/static/admin/css/base.css")]
    assert css and css[0][1] == 200
    # base.css applied: the header has its coloured background, not the browser default
    background = page.evaluate("getComputedStyle(document.getElementById('header')).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    shot(page, "admin-index")


def test_a_live_run_page_shows_new_events_without_a_reload_and_cancels(page, agent_server):
    url = agent_server.url
    thread, run_id = start_run(url, "slow", {"input": {"n": 400, "delay": 0.05}, "stream_mode": ["custom"]})
    page.goto(f"{url}/admin/runs/run/{run_id}/change/")
    page.evaluate("window.__sameDocument = 'yes'")
    assert page.get_attribute("#run-events", "data-live") == "1"
    first = page.locator("#run-event-list li").count()
    page.wait_for_function(f"document.querySelectorAll('#run-event-list li').length > {first + 5}")
    assert page.evaluate("window.__sameDocument") == "yes", "the page was reloaded"
    # newest first, then filter by type
    page.click("#run-order-toggle")
    assert page.evaluate("document.getElementById('run-event-list').classList.contains('newest-first')")
    shot(page, "run-live")
    # cancel from the page: confirm, the run ends interrupted
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Cancel run (interrupt)")
    page.wait_for_load_state()
    deadline = time.time() + 15
    while time.time() < deadline:
        if httpx.get(f"{url}/threads/{thread}/runs/{run_id}", timeout=10).json()["status"] == "interrupted":
            break
        time.sleep(0.2)
    page.reload()
    status = page.text_content(".field-status_display .readonly").strip()
    assert status == "interrupted"
    shot(page, "run-cancelled")


def test_a_failed_run_shows_its_error_and_traceback_at_the_top(page, agent_server):
    url = agent_server.url
    thread, run_id = start_run(url, "fail", {"input": {"x": 1}}, wait_running=False)
    httpx.get(f"{url}/threads/{thread}/runs/{run_id}/join", timeout=30)
    page.goto(f"{url}/admin/runs/run/{run_id}/change/")
    top = page.text_content("#run-error-top")
    assert "Traceback" in top
    page.click("#run-jump-error")
    assert page.locator("#run-event-list li.ev-error details[open]").count() == 1
    shot(page, "run-error")
    page.goto(f"{url}/admin/runs/run/")
    assert page.locator("td.field-error_display").first.text_content().strip() != ""
    shot(page, "runs-list")


def test_the_dashboard_draws_its_charts_from_real_runs(page, agent_server):
    url = agent_server.url
    thread, run_id = start_run(url, "echo", {"input": {"messages": [{"type": "human", "content": "hi"}]}},
                               wait_running=False)
    httpx.get(f"{url}/threads/{thread}/runs/{run_id}/join", timeout=30)
    page.goto(f"{url}/admin/console/dashboard/")
    page.wait_for_selector("#console-dashboard[data-drawn]")
    total = page.evaluate("""() => {
        const chart = Chart.getChart(document.getElementById('chart-over-time'));
        return chart.data.datasets.reduce((sum, d) => sum + d.data.reduce((a, b) => a + b, 0), 0);
    }""")
    assert total >= 1
    graphs = page.evaluate("Chart.getChart(document.getElementById('chart-durations')).data.labels")
    assert "echo" in graphs
    shot(page, "dashboard")
    page.goto(f"{url}/admin/console/worker/")
    assert page.locator("#result_list tbody tr").count() >= 1
    shot(page, "workers")


def test_unknown_run_page_is_not_an_error(page, agent_server):
    page.goto(f"{agent_server.url}/admin/runs/run/{uuid.uuid4()}/change/")
    assert page.url.endswith("/admin/")


def test_thread_transcript_and_assistant_graph_pages(page, agent_server):
    url = agent_server.url
    thread, run_id = start_run(url, "echo", {"input": {"messages": [{"type": "human", "content": "hello there"}]}},
                               wait_running=False)
    httpx.get(f"{url}/threads/{thread}/runs/{run_id}/join", timeout=30)
    page.goto(f"{url}/admin/threads/thread/{thread}/change/")
    assert "hello there" in page.text_content(".chat-transcript")
    shot(page, "thread")
    assistant = httpx.post(f"{url}/assistants/search", json={"graph_id": "steps"}, timeout=10).json()[0]
    page.goto(f"{url}/admin/assistants/assistant/{assistant['assistant_id']}/change/")
    page.wait_for_selector("body[data-graph-drawn]")
    assert page.get_attribute("body", "data-graph-drawn") == "1"
    assert page.locator("pre.mermaid svg").count() == 1
    shot(page, "assistant")
