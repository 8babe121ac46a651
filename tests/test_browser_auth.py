"""The admin's live run page in a real browser (see tests/test_browser.py) with API keys required:
the page's own fetches of the API are accepted on the staff session (apiauth.sessions)."""
import time

import httpx
import pytest

from tests.test_auth_apikeys import STAFF, keys_server, manage  # noqa: F401 - the fixture
from tests.test_browser import CHROMIUM, _need_browser


@pytest.fixture(scope="module")
def staff_page(keys_server):  # noqa: F811
    _need_browser()
    from playwright.sync_api import sync_playwright

    manage(keys_server, "shell", "-c", STAFF)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{keys_server.url}/admin/login/")
        page.fill("#id_username", "staffer")
        page.fill("#id_password", "pw-staffer")
        page.click("input[type=submit]")
        page.wait_for_url(f"{keys_server.url}/admin/")
        yield page
        context.close()
        browser.close()


def test_the_live_run_page_follows_a_run_with_api_keys_on(staff_page, keys_server):  # noqa: F811
    key = {"x-api-key": keys_server.keys["alice"]}
    with httpx.Client(base_url=keys_server.url, headers=key, timeout=10) as alice:
        thread = alice.post("/threads", json={}).json()["thread_id"]
        run = alice.post(f"/threads/{thread}/runs", json={"assistant_id": "slow", "stream_mode": ["custom"],
                                                          "input": {"n": 200, "delay": 0.05}}).json()
        deadline = time.time() + 20
        while time.time() < deadline and alice.get(f"/threads/{thread}/runs/{run['run_id']}").json()["status"] != "running":
            time.sleep(0.05)
        staff_page.goto(f"{keys_server.url}/admin/runs/run/{run['run_id']}/change/")
        assert staff_page.get_attribute("#run-events", "data-live") == "1"
        first = staff_page.locator("#run-event-list li").count()
        staff_page.wait_for_function(f"document.querySelectorAll('#run-event-list li').length > {first + 5}")
        assert "live" in staff_page.text_content("#run-live-state")
        alice.post(f"/threads/{thread}/runs/{run['run_id']}/cancel?wait=true")
