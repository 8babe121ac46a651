"""The runs app's long-lived routes, served by its consumers (see agentserver.routing)."""
from agentserver.routing import route
from runs.consumers.events import ThreadEventsConsumer
from runs.consumers.runs import JoinRunConsumer, JoinRunStreamConsumer, RunStreamConsumer, RunWaitConsumer

consumer_routes = [
    route("POST", r"^threads/(?P<thread_id>[^/]+)/runs/stream$", RunStreamConsumer),
    route("POST", r"^runs/stream$", RunStreamConsumer),
    route("POST", r"^threads/(?P<thread_id>[^/]+)/runs/wait$", RunWaitConsumer),
    route("POST", r"^runs/wait$", RunWaitConsumer),
    route("GET", r"^threads/(?P<thread_id>[^/]+)/runs/(?P<run_id>[^/]+)/stream$", JoinRunStreamConsumer),
    route("GET", r"^runs/(?P<run_id>[^/]+)/stream$", JoinRunStreamConsumer),
    route("GET", r"^threads/(?P<thread_id>[^/]+)/runs/(?P<run_id>[^/]+)/join$", JoinRunConsumer),
    route("POST", r"^threads/(?P<thread_id>[^/]+)/stream/events$", ThreadEventsConsumer),
]
