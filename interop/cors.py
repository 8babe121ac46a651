"""CORS preflights allow the headers they ask for (as the reference's ``allow_headers=["*"]``),
so browser clients such as LangGraph Studio may send their own headers; django-cors-headers
answers the rest of the preflight (origins, methods, ``Access-Control-Allow-Private-Network``)."""


class PreflightHeadersMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        requested = _header(scope, b"access-control-request-headers")
        if scope.get("method") != "OPTIONS" or not requested or not _header(scope, b"origin"):
            return await self.app(scope, receive, send)

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if any(name.lower() == b"access-control-allow-origin" for name, _ in headers):
                    headers = [(n, v) for n, v in headers if n.lower() != b"access-control-allow-headers"]
                    headers.append((b"access-control-allow-headers", requested))
                    message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_wrapper)


def _header(scope, name):
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value
    return None
