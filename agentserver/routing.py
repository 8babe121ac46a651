"""HTTP routing: each app's consumers for its long-lived responses (by method and path), Django for
the rest.

Like ``agentserver.urls`` (the root URLconf), this is the composition root: the only place in
``agentserver/`` that names the apps, through the settings ``AGENTSERVER["CONSUMER_ROUTES"]`` (the
apps' ``routing.consumer_routes`` lists). Both kinds of route apply the same request pipeline
(``agentserver.api.pipeline``): Django views through its middleware, consumers in their base class.
"""
from django.urls import re_path
from django.utils.module_loading import import_string

from agentserver.conf import agent_settings


def route(method, pattern, consumer):
    entry = re_path(pattern, consumer.as_asgi())
    entry.agentserver_method = method
    return entry


def consumer_routes():
    routes = []
    for path in agent_settings.CONSUMER_ROUTES:
        routes.extend(import_string(path))
    return routes


def http_router(django_application):
    from channels.routing import URLRouter

    routes = consumer_routes()
    consumer_router = URLRouter(routes)
    patterns = [(entry.agentserver_method, entry.pattern) for entry in routes]

    async def app(scope, receive, send):
        path = scope["path"].lstrip("/")
        method = scope["method"]
        if any(method == m and pattern.match(path) for m, pattern in patterns):
            return await consumer_router(scope, receive, send)
        return await django_application(scope, receive, send)

    return app
