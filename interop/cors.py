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


def asgi_cors(app, *, expose=()):
    """``app`` (an ASGI app outside Django: MCP, A2A) behind Starlette's CORS middleware, configured
    like django-cors-headers is (``http.cors`` included)."""
    from django.conf import settings
    from starlette.middleware.cors import CORSMiddleware

    regexes = [getattr(r, "pattern", r) for r in getattr(settings, "CORS_ALLOWED_ORIGIN_REGEXES", [])]
    return CORSMiddleware(
        app,
        allow_origins=["*"] if getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False) else
        list(getattr(settings, "CORS_ALLOWED_ORIGINS", [])),
        allow_origin_regex="|".join(f"(?:{r})" for r in regexes) or None,
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        allow_credentials=getattr(settings, "CORS_ALLOW_CREDENTIALS", False),
        allow_private_network=getattr(settings, "CORS_ALLOW_PRIVATE_NETWORK", False),
        expose_headers=[*getattr(settings, "CORS_EXPOSE_HEADERS", []), *expose],
        max_age=getattr(settings, "CORS_PREFLIGHT_MAX_AGE", 600),
    )
