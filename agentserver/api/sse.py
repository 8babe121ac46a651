"""The SSE wire format as the reference sends it: CRLF lines, event/data/id, one compact JSON line."""

HEARTBEAT = b": heartbeat\r\n\r\n"

SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
    (b"connection", b"keep-alive"),
]


def frame(event, data, event_id=None):
    """One SSE frame. ``data`` is JSON text (str or bytes) already encoded on a single line."""
    if isinstance(data, str):
        data = data.encode()
    parts = [b"event: ", event.encode(), b"\r\ndata: ", data, b"\r\n"]
    if event_id is not None:
        parts += [b"id: ", str(event_id).encode(), b"\r\n"]
    parts.append(b"\r\n")
    return b"".join(parts)


# Which stream mode a stored event belongs to (for ?stream_mode= filters on joins).
def mode_of(event_name):
    base = event_name.split("|", 1)[0]
    if base.startswith("messages/"):
        return "messages"
    if base == "messages":
        return "messages-tuple"
    return base
