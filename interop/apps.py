from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "interop"
    verbose_name = "Interop (metrics, MCP, A2A, custom routes)"
