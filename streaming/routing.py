"""HTTP routing: streaming consumers for long-lived responses (by method and path), Django for the rest."""


def http_router(django_application):
    from channels.routing import URLRouter

    from streaming.urls import consumer_routes

    consumer_router = URLRouter(consumer_routes)
    patterns = [(route.agentserver_method, route.pattern) for route in consumer_routes]

    async def app(scope, receive, send):
        path = scope["path"].lstrip("/")
        method = scope["method"]
        if any(method == m and pattern.match(path) for m, pattern in patterns):
            return await consumer_router(scope, receive, send)
        return await django_application(scope, receive, send)

    return app
