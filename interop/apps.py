from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "interop"
    verbose_name = "Interop (metrics, MCP, A2A, custom routes)"

    def ready(self):
        from agentserver.api import pipeline
        from interop.custom_routes import open_custom_route

        pipeline.register_open_route(open_custom_route)
