"""Turn LangGraph stream chunks into the API's SSE frames, mode by mode."""
from langchain_core.messages import BaseMessageChunk, message_chunk_to_message

from agentserver import serde

# API stream mode -> LangGraph stream mode
LANGGRAPH_MODE = {
    "values": "values", "updates": "updates", "custom": "custom", "debug": "debug", "tasks": "tasks",
    "checkpoints": "checkpoints", "messages": "messages", "messages-tuple": "messages",
}


def langgraph_modes(api_modes):
    return list(dict.fromkeys(LANGGRAPH_MODE[m] for m in api_modes if m in LANGGRAPH_MODE))


class FrameBuilder:
    """Stateful per run: ``messages`` mode accumulates chunks into whole messages."""

    def __init__(self, api_modes):
        self.api_modes = set(api_modes)
        self._messages = {}

    def frames(self, namespace, mode, chunk):
        suffix = "|" + "|".join(namespace) if namespace else ""
        if mode == "messages":
            return self._message_frames(suffix, chunk)
        if mode == "debug" and isinstance(chunk, dict) and chunk.get("type") == "checkpoint":
            chunk = _with_checkpoint_objects(chunk)
        if mode in self.api_modes:
            return [(mode + suffix, chunk)]
        return []

    def _message_frames(self, suffix, chunk):
        message, metadata = chunk
        frames = []
        if "messages-tuple" in self.api_modes:
            frames.append(("messages" + suffix, [message, metadata]))
        if "messages" in self.api_modes:
            frames.extend(self._accumulate(suffix, message, metadata))
        return frames

    def _accumulate(self, suffix, message, metadata):
        frames = []
        message_id = message.id
        if message_id not in self._messages:
            frames.append(("messages/metadata" + suffix, {message_id: {"metadata": metadata}}))
        if isinstance(message, BaseMessageChunk):
            previous = self._messages.get(message_id)
            merged = message if previous is None else previous + message
            self._messages[message_id] = merged
            frames.append(("messages/partial" + suffix, [message_chunk_to_message(merged)]))
        else:
            self._messages[message_id] = message
            frames.append(("messages/complete" + suffix, [message]))
        return frames


def _with_checkpoint_objects(chunk):
    """A debug ``checkpoint`` payload with ``checkpoint`` and ``parent_checkpoint`` (the objects of
    its ``config`` and ``parent_config``), as the reference sends it."""
    from threads.snapshots import checkpoint_of

    payload = chunk.get("payload")
    if not isinstance(payload, dict) or "checkpoint" in payload:
        return chunk
    payload = {**payload, "checkpoint": checkpoint_of(payload.get("config")),
               "parent_checkpoint": checkpoint_of(payload.get("parent_config"))}
    return {**chunk, "payload": payload}


def event_frame(event):
    """An ``astream_events`` v2 dict as the ``events`` frame's data."""
    return serde.dumps_str(event)
