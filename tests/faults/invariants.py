"""What every fault must leave true (issue #17), checked the same way after each fault:

- the run ends ``success``, its thread is not left ``busy``;
- the run's log has no hole: SSE ids 1..n;
- each attempt starts with a ``metadata`` frame carrying its ``attempt`` (1, 2, ...), and within an
  attempt every event is there exactly once, in order (the slow graph's ticks 0..k-1);
- the final state equals an uninterrupted run's, and the last attempt ends as that run does.
"""
import time

from tests.helpers import new_id, parse_sse

# The slow graph: `n` custom ticks `delay` s apart in one node (about 1 s), then a second node.
INPUT = {"n": 20, "delay": 0.05}


def create_run(client, thread_id=None, input=INPUT):
    thread_id = thread_id or new_id()
    response = client.post(f"/threads/{thread_id}/runs", json={
        "assistant_id": "slow", "input": input, "if_not_exists": "create", "stream_mode": ["custom", "values"]})
    assert response.status_code == 200, response.text
    return thread_id, response.json()["run_id"]


def status(client, thread_id, run_id):
    response = client.get(f"/threads/{thread_id}/runs/{run_id}")
    assert response.status_code == 200, f"GET run: {response.status_code} {response.text}"
    return response.json()["status"]


def wait_status(client, thread_id, run_id, wanted, timeout=30):
    deadline = time.monotonic() + timeout
    current = None
    while time.monotonic() < deadline:
        current = status(client, thread_id, run_id)
        if current in wanted:
            return current
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} still {current} after {timeout} s")


def attempts(client, thread_id, run_id):
    """The run's frames split at each attempt's metadata frame: [(attempt, [(event, data)])];
    asserts the log has no hole."""
    text = client.get(f"/threads/{thread_id}/runs/{run_id}/stream", headers={"Last-Event-ID": "0"}).text
    frames = parse_sse(text)
    ids = [int(frame_id) for _, _, frame_id in frames]
    assert ids == list(range(1, len(ids) + 1)), f"hole in the log: {ids}"
    assert frames and frames[0][0] == "metadata", frames[:2]
    split = []
    for event, data, _ in frames:
        if event == "metadata":
            split.append((data["attempt"], []))
        else:
            split[-1][1].append((event, data))
    return split


def reference_run(client):
    """(final values, attempts) of an uninterrupted run."""
    thread_id, run_id = create_run(client)
    assert wait_status(client, thread_id, run_id, {"success", "error"}) == "success"
    return client.get(f"/threads/{thread_id}/state").json()["values"], attempts(client, thread_id, run_id)


def check_run(client, thread_id, run_id, reference, *, why, timeout=60):
    """Wait for the run to end, then assert every invariant. ``why`` (the fault, its point and the
    seed) is in every assertion's message. Returns the attempts."""
    final = wait_status(client, thread_id, run_id, {"success", "error", "interrupted"}, timeout=timeout)
    assert final == "success", f"run ended {final}: {why}"
    values, expected = reference
    thread = client.get(f"/threads/{thread_id}").json()
    assert thread["status"] == "idle", f"thread left {thread['status']}: {why}"
    assert client.get(f"/threads/{thread_id}/state").json()["values"] == values, why
    split = attempts(client, thread_id, run_id)
    assert [attempt for attempt, _ in split] == list(range(1, len(split) + 1)), (split, why)
    n = INPUT["n"]
    for attempt, frames in split:
        ticks = [data["tick"] for event, data in frames if event == "custom"]
        # each event once per attempt, in order (a retry resumed after the ticking node sends none)
        assert ticks in (list(range(n))[:len(ticks)], []), (attempt, ticks, why)
        assert all(event in ("custom", "values") for event, _ in frames), (attempt, frames, why)
    last = split[-1][1]
    assert last[-1] == expected[-1][1][-1], f"last attempt ended with {last[-1:]}: {why}"
    full = [data["tick"] for event, data in expected[-1][1] if event == "custom"]
    resumed = [data["tick"] for event, data in last if event == "custom"]
    assert resumed in (full, []), (resumed, why)  # the last attempt ran the ticking node whole, or resumed after it
    return split


class Follower:
    """A client following the run's stream live (from its first event) while the fault happens."""

    def __init__(self, url, thread_id, run_id):
        import threading

        self.url, self.path = url, f"/threads/{thread_id}/runs/{run_id}/stream"
        self.frames, self.error = None, None
        self.thread = threading.Thread(target=self._follow, daemon=True)
        self.thread.start()

    def _follow(self):
        import httpx

        try:
            with httpx.Client(base_url=self.url, timeout=90) as client:
                self.frames = parse_sse(client.get(self.path, headers={"Last-Event-ID": "0"}).text)
        except Exception as exc:  # noqa: BLE001 - reported by check()
            self.error = exc

    def check(self, client, *, why, within=10):
        """The stream ended within ``within`` s of the run's end with every stored frame, once, in order."""
        self.thread.join(within)
        assert not self.thread.is_alive(), f"the live stream did not end {within} s after the run: {why}"
        assert self.error is None, (self.error, why)
        stored = parse_sse(client.get(self.path, headers={"Last-Event-ID": "0"}).text)
        assert self.frames == stored, (self.frames, stored, why)
