"""Routes served by streaming consumers (see streaming.routing); the rest is Django's."""
from django.urls import re_path

from streaming.consumers.runs import JoinRunConsumer, JoinRunStreamConsumer, RunStreamConsumer, RunWaitConsumer
from streaming.consumers.events import ThreadEventsConsumer
from streaming.consumers.threads import ThreadStreamConsumer


def route(method, pattern, consumer):
    entry = re_path(pattern, consumer.as_asgi())
    entry.agentserver_method = method
    return entry


consumer_routes = [
    route("POST", r"^threads/(?P<thread_id>[^/]+)/runs/stream$", RunStreamConsumer),
    route("POST", r"^runs/stream$", RunStreamConsumer),
    route("POST", r"^threads/(?P<thread_id>[^/]+)/runs/wait$", RunWaitConsumer),
    route("POST", r"^runs/wait$", RunWaitConsumer),
    route("GET", r"^threads/(?P<thread_id>[^/]+)/runs/(?P<run_id>[^/]+)/stream$", JoinRunStreamConsumer),
    route("GET", r"^runs/(?P<run_id>[^/]+)/stream$", JoinRunStreamConsumer),
    route("GET", r"^threads/(?P<thread_id>[^/]+)/runs/(?P<run_id>[^/]+)/join$", JoinRunConsumer),
    route("GET", r"^threads/(?P<thread_id>[^/]+)/stream$", ThreadStreamConsumer),
    route("POST", r"^threads/(?P<thread_id>[^/]+)/stream/events$", ThreadEventsConsumer),
]
