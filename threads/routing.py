"""The threads app's long-lived routes, served by its consumers (see agentserver.routing)."""
from agentserver.routing import route
from threads.consumers import ThreadStreamConsumer

consumer_routes = [
    route("GET", r"^threads/(?P<thread_id>[^/]+)/stream$", ThreadStreamConsumer),
]
