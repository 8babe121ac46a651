"""Small helpers for tests that read SSE by hand."""
import uuid

import orjson


def parse_sse(text):
    """Frames [(event, data, id)] from a raw SSE body (CRLF or LF)."""
    frames = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        event = data = event_id = None
        for line in block.split("\n"):
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = orjson.loads(line[6:])
            elif line.startswith("id: "):
                event_id = line[4:]
        if event is not None:
            frames.append((event, data, event_id))
    return frames


def new_id():
    return str(uuid.uuid4())


async def collect(stream):
    return [(part.event, part.data) for part in [p async for p in stream]]
