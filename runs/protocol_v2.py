"""Protocol v2 envelopes (POST /threads/{thread_id}/stream/events), derived from the stored event log.

Each stored frame (thread position ``p``) becomes zero or more protocol events numbered
``seq = p * SUBSEQ + i``, so ``seq`` is durable: a client that echoes it back as ``since`` resumes
exactly after the last event it saw, even from another server process.
"""
import time

import orjson

from runs import selectors

SUBSEQ = 16
CHANNELS = ("values", "updates", "messages", "lifecycle", "custom", "tasks", "checkpoints", "debug", "input", "tools")
PASSTHROUGH = {"values", "updates", "custom", "tasks", "checkpoints", "debug"}


def _split_name(event):
    base, _, rest = event.partition("|")
    return base, [part for part in rest.split("|") if part] if rest else []


class MessageTracker:
    """Turns ``messages`` (message, metadata) frames into message-start/delta/finish events."""

    def __init__(self):
        self.texts = {}

    def events(self, data):
        message = data[0] if isinstance(data, list) and data else {}
        message_id = message.get("id")
        text = message.get("content") if isinstance(message.get("content"), str) else ""
        is_chunk = str(message.get("type", "")).endswith("Chunk")
        out = []
        if message_id not in self.texts:
            self.texts[message_id] = ""
            out.append({"event": "message-start", "role": "ai", "id": message_id})
            out.append({"event": "content-block-start", "index": 0, "content": {"type": "text", "text": ""}})
        if text:
            self.texts[message_id] += text
            out.append({"event": "content-block-delta", "index": 0, "delta": {"type": "text-delta", "text": text}})
        if not is_chunk or message.get("chunk_position") == "last":
            full = self.texts.pop(message_id, "")
            out.append({"event": "content-block-finish", "index": 0, "content": {"type": "text", "text": full}})
            out.append({"event": "message-finish"})
        return out


def _lifecycle(run, *, done):
    graph_name = run.get("graph_id") if run else None
    if not done:
        return {"event": "running", "graph_name": graph_name}
    status = run.get("status") if run else "interrupted"
    output = (run or {}).get("output") or {}
    if status == "error":
        error = (run or {}).get("error") or {}
        return {"event": "failed", "graph_name": graph_name,
                "error": error.get("message") if isinstance(error, dict) else str(error)}
    elif status == "interrupted" or (isinstance(output, dict) and "__interrupt__" in output):
        event = "interrupted"
    else:
        event = "completed"
    return {"event": event, "graph_name": graph_name}


_MESSAGE_TYPES = {"human", "ai", "system", "tool", "function", "chat", "remove"}


def compact_message(message):
    """A message in ``values`` as the reference sends it: type, content, id, then only the fields
    that say something (no null, empty or default fields)."""
    if not isinstance(message, dict) or message.get("type") not in _MESSAGE_TYPES:
        return message
    out = {"type": message["type"], "content": message.get("content"), "id": message.get("id")}
    for key, value in message.items():
        if key not in out and value not in (None, {}, [], "") and not (key == "chunk_position"):
            out[key] = value
    return out


def compact_values(data):
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        return {**data, "messages": [compact_message(m) for m in data["messages"]]}
    return data


def _subgraph_started(namespace):
    name, _, call_id = namespace[-1].partition(":")
    return {"event": "started", "namespace": list(namespace), "graph_name": name, "trigger_call_id": call_id}


class Translator:
    """Per-connection state: message accumulation, open subgraphs and run lookups for lifecycle events."""

    def __init__(self):
        self.messages = MessageTracker()
        self.runs = {}
        self.open = []  # namespaces (tuples) of subgraphs that started and have not completed

    def _subgraphs(self, namespace, *, done=False, status="completed"):
        """Lifecycle events of subgraphs: ``completed`` for the open ones a frame at ``namespace``
        has left (all of them when the run is ``done``), ``started`` for the ones it enters."""
        namespace = tuple(namespace)
        out = []
        for ns in reversed(list(self.open)):
            if done or namespace[: len(ns)] != ns:
                self.open.remove(ns)
                name = ns[-1].partition(":")[0]
                out.append(("lifecycle", list(ns), {"event": status, "graph_name": name}))
        if not done:
            for depth in range(1, len(namespace) + 1):
                ns = namespace[:depth]
                if ns not in self.open:
                    self.open.append(ns)
                    out.append(("lifecycle", list(ns), _subgraph_started(ns)))
        return out

    def _run(self, run_id, *, fresh=False):
        if fresh or run_id not in self.runs:
            self.runs[run_id] = selectors.run_summary(run_id=run_id)
        return self.runs[run_id]

    def translate(self, seq, event, data_text):
        """[(method, namespace, data)] for one stored frame (sync: may query the DB)."""
        base, namespace = _split_name(event)
        data = orjson.loads(data_text)
        if base == "metadata":
            run_id = data.get("run_id")
            done = seq is None
            lifecycle = _lifecycle(self._run(run_id, fresh=done), done=done)
            closed = self._subgraphs((), done=True, status=lifecycle["event"]) if done else []
            return closed + [("lifecycle", namespace, lifecycle)]
        out = self._subgraphs(namespace) if base in PASSTHROUGH or base == "messages" else []
        if base == "messages":
            return out + [("messages", namespace, item) for item in self.messages.events(data)]
        if base == "values" and isinstance(data, dict) and "__interrupt__" in data:
            interrupts = data.pop("__interrupt__") or []
            requested = [("input.requested", namespace, {"interrupt_id": i.get("id"), "payload": i.get("value")})
                         for i in interrupts if isinstance(i, dict)]
            return out + [("values", namespace, compact_values(data))] + requested
        if base == "values":
            return out + [("values", namespace, compact_values(data))]
        if base in PASSTHROUGH:
            return out + [(base, namespace, data)]
        return out


def channel_of(method):
    return "input" if method == "input.requested" else method


def wanted(method, namespace, *, channels, namespaces, depth):
    channel = channel_of(method)
    if channel != "input" and channel not in channels:
        return False
    if depth is not None and len(namespace) > depth:
        return False
    if namespaces:
        names = [part.split(":", 1)[0] for part in namespace]
        return any(names[: len(prefix)] == list(prefix) for prefix in namespaces)
    return True


def envelope(seq, thread_seq, index, method, namespace, data):
    return {
        "type": "event", "event_id": f"{thread_seq}-{index}", "seq": seq, "method": method,
        "params": {"namespace": namespace, "timestamp": int(time.time() * 1000), "data": data},
    }
