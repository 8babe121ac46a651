"""The one hook of the ASGI entry point: ``application = wrap(api_application)``.

Around the API (Django + streaming consumers) it adds, outermost first: HTTP metrics, the
``langgraph.json`` ``http`` options (disabled API groups, configurable headers, the user's custom
routes), and the MCP and A2A endpoints.
"""
from interop.http_metrics import HttpMetricsMiddleware

MCP_PATHS = ("/mcp", "/mcp/")


class InteropRouter:
    def __init__(self, api_application):
        self.api = api_application

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] == "http" and path in MCP_PATHS:
            from interop.mcp_server import mcp_app

            return await mcp_app(scope, receive, send)
        if scope["type"] == "http" and (path.startswith("/a2a/") or path == "/.well-known/agent-card.json"):
            from interop.a2a_server import a2a_app

            return await a2a_app(scope, receive, send)
        return await self.api(scope, receive, send)


def wrap(api_application):
    return HttpMetricsMiddleware(InteropRouter(api_application))
