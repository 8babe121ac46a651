"""The request pipeline (``agentserver.api.pipeline``) around a plain ASGI app that is not a Django
view or a stream consumer (the MCP and A2A endpoints), so that CORS, the size limit and the request
policies (authentication) are the same there too."""
from asgiref.sync import sync_to_async

from agentserver import serde
from agentserver.api import pipeline


async def _send_plain(send, status, headers, body, content_type):
    headers = [(b"content-type", content_type)] + [(k.encode(), v.encode()) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ApiPipelineApp:
    def __init__(self, app, *, expose=()):
        self.app = app
        self.expose = tuple(expose)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not pipeline.is_api_path(scope.get("path", "/")):
            return await self.app(scope, receive, send)
        request = pipeline.ApiRequest.from_scope(scope)
        answer = pipeline.preflight(request)
        if answer is not None:
            return await _send_plain(send, answer[0], answer[1], b"OK", b"text/plain; charset=utf-8")
        try:
            if pipeline.policies():
                await sync_to_async(pipeline.admit, thread_sensitive=False)(request)
            else:
                pipeline.admit(request)
        except Exception as exc:  # noqa: BLE001 - rendered like every API error
            rendered = pipeline.render_error(exc) or (500, {"detail": "Internal Server Error"}, {})
            status, body, headers = rendered
            return await _send_plain(send, status, list(headers.items()), serde.dumps(body), b"application/json")
        cors = pipeline.cors_headers(request)
        if cors and self.expose:
            cors = [(name, f"{value}, {', '.join(self.expose)}" if name == "access-control-expose-headers" else value)
                    for name, value in cors]
        cors_names = {name.encode() for name, _ in cors}

        async def send_with_cors(message):
            if message["type"] == "http.response.start" and cors:
                headers = [(k, v) for k, v in message.get("headers") or [] if k.lower() not in cors_names]
                message = {**message, "headers": headers + [(k.encode(), v.encode()) for k, v in cors]}
            await send(message)

        return await self.app({**scope, "agentserver.api_request": request}, receive, send_with_cors)
