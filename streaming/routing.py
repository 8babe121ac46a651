"""HTTP routing: streaming consumers for long-lived responses, Django for the rest."""
from django.urls import re_path

UUIDISH = r"[^/]+"


class MethodRoute:
    def __init__(self, method, pattern, app):
        self.method = method
        self.pattern = re_path(pattern, app)
        self.app = app


def http_router(django_application):
    from channels.routing import URLRouter

    routes = [re_path(r"", django_application)]
    try:
        from streaming.urls import consumer_routes
    except ImportError:  # during bootstrapping
        consumer_routes = []

    consumer_router = URLRouter(consumer_routes) if consumer_routes else None
    patterns = [(method, route.pattern) for method, route in consumer_routes_by_method(consumer_routes)]

    async def app(scope, receive, send):
        if consumer_router is not None:
            path = scope["path"].lstrip("/")
            for method, pattern in patterns:
                if scope["method"] == method and pattern.match(path):
                    return await consumer_router(scope, receive, send)
        return await django_application(scope, receive, send)

    return app


def consumer_routes_by_method(routes):
    for route in routes:
        yield getattr(route, "agentserver_method", "GET"), route
