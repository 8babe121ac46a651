"""What the load generator checks: SSE parsing, per-run checks of each graph's frames, and the
requests that start runs. Used by load.py, mem_streams.py and trace_latency.py.

Every check raises BenchError on wrong output (a missing, extra, duplicated or out-of-order event,
an ``error`` frame, an HTTP error): wrong output is an error of the scenario, never a data point.
"""
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from graphs import expected_tokens_text  # noqa: E402

NOW = time.perf_counter


class BenchError(Exception):
    """Wrong output from the server: counted as an error, never as a data point."""


# --------------------------------------------------------------------------------------------
# SSE
# --------------------------------------------------------------------------------------------
def _parse_frame(raw):
    event = fid = None
    data = []
    for line in raw.split(b"\n"):
        if not line or line[:1] == b":":
            continue
        name, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            data.append(value)
        elif name == b"event":
            event = value.decode()
        elif name == b"id":
            fid = value.decode()
    if event is None and not data:
        return None  # a comment (heartbeat)
    return event or "message", b"\n".join(data), fid


async def sse_batches(resp):
    """Yield (arrival_time, [(event, data_bytes, id), ...], heartbeats) per chunk read from ``resp``."""
    buf = b""
    async for chunk in resp.content.iter_any():
        now = NOW()
        buf += chunk
        if b"\n\n" not in buf and b"\r\n\r\n" not in buf:
            continue
        buf = buf.replace(b"\r\n", b"\n")
        *frames, buf = buf.split(b"\n\n")
        out, beats = [], 0
        for raw in frames:
            parsed = _parse_frame(raw)
            if parsed is None:
                beats += 1
            else:
                out.append(parsed)
        yield now, out, beats
    if buf.strip():
        parsed = _parse_frame(buf.replace(b"\r\n", b"\n"))
        if parsed is not None:
            yield NOW(), [parsed], 0


async def check_status(resp, what):
    if resp.status != 200:
        body = (await resp.read())[:300]
        raise BenchError(f"{what}: HTTP {resp.status} {body!r}")


# --------------------------------------------------------------------------------------------
# Checkers: fed every frame of one run's stream, raise BenchError on anything unexpected
# --------------------------------------------------------------------------------------------
class RunCheck:
    """Common part: the first frame is ``metadata`` with the run id; an ``error`` frame fails."""

    def __init__(self):
        self.t_meta = None
        self.t_first_data = None
        self.t_last = None
        self.run_id = None
        self.frames = 0

    def feed(self, t, event, data):
        self.frames += 1
        if self.t_meta is None:
            if event != "metadata":
                raise BenchError(f"first frame is {event!r}, expected metadata")
            meta = orjson.loads(data)
            self.run_id = meta.get("run_id")
            if not self.run_id:
                raise BenchError(f"metadata without run_id: {data[:200]!r}")
            self.t_meta = t
            return
        if event == "error":
            raise BenchError(f"error frame: {data[:300]!r}")
        if self.t_first_data is None:
            self.t_first_data = t
        self.t_last = t
        self.on_event(event, data)

    def on_event(self, event, data):
        raise NotImplementedError

    def finish(self):
        if self.t_meta is None:
            raise BenchError("stream ended without a metadata frame")


class NoopCheck(RunCheck):
    def __init__(self):
        super().__init__()
        self.updates = 0

    def on_event(self, event, data):
        if event != "updates":
            raise BenchError(f"unexpected frame {event!r}")
        if orjson.loads(data) != {"noop": {"n": 1}}:
            raise BenchError(f"unexpected update {data[:200]!r}")
        self.updates += 1

    def finish(self):
        super().finish()
        if self.updates != 1:
            raise BenchError(f"{self.updates} updates frames, expected 1")


class EmitCheck(RunCheck):
    """``custom`` frames {"i": 0..n-1}, each exactly once and in order."""

    def __init__(self, n):
        super().__init__()
        self.n = n
        self.next = 0

    def on_event(self, event, data):
        if event != "custom":
            raise BenchError(f"unexpected frame {event!r}")
        expected = b'{"i":%d}' % self.next
        if data != expected and orjson.loads(data) != {"i": self.next}:
            raise BenchError(f"custom frame {data[:100]!r}, expected {expected!r}")
        self.next += 1

    def finish(self):
        super().finish()
        if self.next != self.n:
            raise BenchError(f"got {self.next} custom frames, expected {self.n}")


class TokensCheck(RunCheck):
    """``messages`` frames [chunk, metadata] whose contents concatenate to the expected text."""

    def __init__(self, words):
        super().__init__()
        self.expected = expected_tokens_text(words)
        self.parts = []
        self.message_id = None

    def on_event(self, event, data):
        if event != "messages":
            raise BenchError(f"unexpected frame {event!r}")
        chunk, metadata = orjson.loads(data)
        if chunk.get("type") not in ("AIMessageChunk", "ai"):
            raise BenchError(f"unexpected message type {chunk.get('type')!r}")
        if metadata.get("langgraph_node") != "chat":
            raise BenchError(f"unexpected metadata node {metadata.get('langgraph_node')!r}")
        if self.message_id is None:
            self.message_id = chunk.get("id")
        elif chunk.get("id") != self.message_id:
            raise BenchError("chunks of more than one message")
        self.parts.append(chunk["content"])

    @property
    def chunks(self):
        return len(self.parts)

    def finish(self):
        super().finish()
        text = "".join(self.parts)
        if text != self.expected:
            raise BenchError(f"tokens concatenate to {text[:80]!r}... ({len(text)} chars), expected {len(self.expected)}")


class ThreadEmitCheck:
    """A thread stream (run_modes) while one ``emit`` run executes: the run's start metadata, the
    custom frames in order, then the ``run_done`` metadata frame of that run."""

    def __init__(self, n):
        self.n = n
        self.next = 0
        self.started = False
        self.done = False
        self.t_done = None
        self.run_id = None

    def feed(self, t, event, data):
        if self.done:
            return
        if event == "metadata":
            meta = orjson.loads(data)
            if meta.get("status") == "run_done":
                if not self.started or meta.get("run_id") != self.run_id:
                    raise BenchError(f"run_done for an unknown run: {data[:200]!r}")
                self.done, self.t_done = True, t
                return
            if self.started:
                raise BenchError(f"second run start on the thread: {data[:200]!r}")
            self.started, self.run_id = True, meta.get("run_id")
            return
        if event == "error":
            raise BenchError(f"error frame: {data[:300]!r}")
        if event != "custom":
            return  # other stream modes of the run are not what we count
        if not self.started:
            raise BenchError("custom frame before the run's metadata")
        if data != b'{"i":%d}' % self.next and orjson.loads(data) != {"i": self.next}:
            raise BenchError(f"custom frame {data[:100]!r}, expected i={self.next}")
        self.next += 1

    def finish(self):
        if not self.done:
            raise BenchError(f"no run_done (got {self.next}/{self.n} custom frames)")
        if self.next != self.n:
            raise BenchError(f"got {self.next} custom frames, expected {self.n}")


# --------------------------------------------------------------------------------------------
# HTTP helpers
# --------------------------------------------------------------------------------------------
async def create_thread(session):
    async with session.post("/threads", json={}) as resp:
        await check_status(resp, "POST /threads")
        return (await resp.json())["thread_id"]


async def stream_run(session, thread_id, body, check):
    """POST /threads/{id}/runs/stream; feed every frame to ``check``. Returns timings (seconds)."""
    t0 = NOW()
    async with session.post(f"/threads/{thread_id}/runs/stream", json=body) as resp:
        await check_status(resp, "POST runs/stream")
        t_headers = NOW()
        async for t, frames, _ in sse_batches(resp):
            for event, data, _id in frames:
                check.feed(t, event, data)
    t_end = NOW()
    check.finish()
    return {
        "headers": t_headers - t0,
        "first_event": check.t_meta - t0,
        "first_data": (check.t_first_data or t_end) - t0,
        "end": t_end - t0,
        "t0": t0,
    }


NOOP_BODY = {"assistant_id": "noop", "input": {}, "stream_mode": ["updates"]}


def emit_body(n):
    return {"assistant_id": "emit", "input": {"n": n}, "stream_mode": ["custom"]}


def ticks_body(n, delay):
    return {"assistant_id": "ticks", "input": {"n": n, "delay": delay}, "stream_mode": ["custom"]}


class JoinCheck:
    """A joined run stream of ``ticks``: custom frames {"i": k} with k consecutive from the first one
    received up to n - 1, then the end of the stream (no error frame, nothing after the last tick)."""

    def __init__(self, n):
        self.n = n
        self.first = None
        self.next = None

    def feed(self, event, data):
        if event == "error":
            raise BenchError(f"error frame: {data[:300]!r}")
        if event != "custom":
            return  # a join may start with the run's metadata frame
        value = orjson.loads(data).get("i")
        if self.next is None:
            self.first = self.next = value
        if value != self.next:
            raise BenchError(f"joined stream: tick {value}, expected {self.next}")
        self.next += 1

    def finish(self):
        if self.next != self.n:
            raise BenchError(f"joined stream ended at tick {self.next}, expected {self.n}")


def tokens_body(words):
    return {"assistant_id": "tokens", "input": {"messages": [{"type": "human", "content": "go"}], "words": words},
            "stream_mode": ["messages-tuple"]}
