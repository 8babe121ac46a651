"""``http.configurable_headers``: request headers copied into the ``config.configurable`` of runs.

A header is copied when it matches an ``include`` pattern and no ``exclude`` pattern (``*`` matches
any characters); a key the request body already sets in ``configurable`` is kept as sent.
"""
import re

import orjson

RUN_CREATE = re.compile(r"^/(threads/[^/]+/)?runs(/stream|/wait|/batch)?/?$")


def _compile(patterns):
    return [re.compile("^" + ".*".join(re.escape(part) for part in p.split("*")) + "$") for p in patterns]


class HeaderSelector:
    def __init__(self, include, exclude):
        self.include, self.exclude = _compile(include), _compile(exclude)

    def select(self, headers):
        chosen = {}
        for raw_name, raw_value in headers:
            name = raw_name.decode("latin-1").lower()
            if any(p.match(name) for p in self.include) and not any(p.match(name) for p in self.exclude):
                chosen[name] = raw_value.decode("latin-1")
        return chosen


def _inject(body, values):
    try:
        data = orjson.loads(body) if body.strip() else None
    except orjson.JSONDecodeError:
        return body  # the API answers the malformed body with its own 422
    items = data if isinstance(data, list) else [data]
    for item in items:
        if not isinstance(item, dict):
            continue
        config = item.get("config") if isinstance(item.get("config"), dict) else {}
        configurable = config.get("configurable") if isinstance(config.get("configurable"), dict) else {}
        item["config"] = {**config, "configurable": {**values, **configurable}}
    return orjson.dumps(data)


async def with_run_headers(selector, app, scope, receive, send):
    """Call ``app`` with the run-create body rewritten to carry the selected headers."""
    values = selector.select(scope.get("headers") or [])
    if scope.get("method") != "POST" or not values or not RUN_CREATE.match(scope.get("path", "")):
        return await app(scope, receive, send)
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return await app(scope, _replay([message]), send)
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = _inject(b"".join(chunks), values)
    return await app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)


def _replay(messages, receive=None):
    queue = list(messages)

    async def replay():
        if queue:
            return queue.pop(0)
        if receive is None:
            return {"type": "http.disconnect"}
        return await receive()

    return replay
