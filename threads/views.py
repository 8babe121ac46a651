"""Threads API: thin views that validate, call a service or selector, and serialize."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from agentserver.api import access
from agentserver.api.bodies import json_body
from agentserver.api.exceptions import InvalidInput
from agentserver.api.fields import uuid_or_422
from agentserver.api.validation import validated
from agentserver.ids import parse_uuid
from threads import selectors, services
from threads import serializers as s
from threads.signals import thread_ttl_requested


def read_body(request, *, allow_empty=False):
    """The JSON object body (whatever the content type, as the reference); 422 otherwise."""
    return json_body(request, allow_empty=allow_empty)


def thread_id_of(value):
    return uuid_or_422(value, what="thread")


def authorize(request, action, **value):
    """The authorization filters for ``action`` on threads (``agentserver.api.access``)."""
    return access.authorize(getattr(request, "api", None), "threads", action, access.value_of(**value))


def _checkpoint(data):
    return dict(data) if data else None


class ThreadCreateView(APIView):
    @extend_schema(request=s.ThreadCreateSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        body = validated(s.ThreadCreateSerializer, read_body(request))
        value = {"thread_id": body.get("thread_id"), "metadata": dict(body.get("metadata") or {}),
                 "if_exists": body["if_exists"]}
        filters = access.authorize(getattr(request, "api", None), "threads", "create", value)
        thread = services.create_thread(
            thread_id=body.get("thread_id"), metadata=value.get("metadata"), if_exists=body["if_exists"],
            supersteps=body.get("supersteps"), filters=filters,
        )
        if body.get("ttl") is not None:
            thread_ttl_requested.send(sender=ThreadCreateView, thread_id=thread.thread_id, ttl=dict(body["ttl"]))
        return Response(s.thread_json(thread))


class ThreadSearchView(APIView):
    @extend_schema(request=s.ThreadSearchSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        body = validated(s.ThreadSearchSerializer, read_body(request))
        limit, offset = body["limit"], body["offset"]
        value = access.value_of(metadata=dict(body.get("metadata") or {}), values=body.get("values"), status=body.get("status"),
                                limit=limit, offset=offset, ids=body.get("ids"))
        filters = access.authorize(getattr(request, "api", None), "threads", "search", value)
        threads, total = selectors.search_threads(
            metadata=value.get("metadata"), values=body.get("values"), status=body.get("status"),
            ids=body.get("ids"), limit=limit, offset=offset, sort_by=body.get("sort_by"),
            sort_order=body.get("sort_order"), filters=filters,
        )
        headers = {"X-Pagination-Total": str(total)}
        if offset + limit < total:
            headers["X-Pagination-Next"] = str(offset + limit)
        data = [s.thread_json(t, select=body.get("select"), extract=body.get("extract")) for t in threads]
        return Response(data, headers=headers)


class ThreadCountView(APIView):
    @extend_schema(request=s.ThreadCountSerializer, responses=OpenApiTypes.INT)
    def post(self, request):
        body = validated(s.ThreadCountSerializer, read_body(request))
        value = access.value_of(metadata=dict(body.get("metadata") or {}), values=body.get("values"), status=body.get("status"))
        filters = access.authorize(getattr(request, "api", None), "threads", "search", value)
        return Response(selectors.count_threads(
            metadata=value.get("metadata"), values=body.get("values"), status=body.get("status"), filters=filters,
        ))


class ThreadPruneView(APIView):
    @extend_schema(request=s.ThreadPruneSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        body = validated(s.ThreadPruneSerializer, read_body(request))
        filters = authorize(request, "delete", thread_ids=body["thread_ids"])
        pruned = services.prune_threads(thread_ids=body["thread_ids"], strategy=body["strategy"], filters=filters)
        return Response({"pruned_count": pruned})


class ThreadDetailView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, thread_id):
        thread_id = thread_id_of(thread_id)
        filters = authorize(request, "read", thread_id=thread_id)
        return Response(s.thread_json(selectors.get_thread(thread_id=thread_id, filters=filters)))

    @extend_schema(request=s.ThreadPatchSerializer, responses=OpenApiTypes.OBJECT)
    def patch(self, request, thread_id):
        thread_id = thread_id_of(thread_id)
        body = validated(s.ThreadPatchSerializer, read_body(request))
        value = {"thread_id": thread_id, "metadata": dict(body.get("metadata") or {})}
        filters = access.authorize(getattr(request, "api", None), "threads", "update", value)
        thread = services.patch_thread(thread_id=thread_id, metadata=value.get("metadata"), filters=filters)
        if body.get("ttl") is not None:
            thread_ttl_requested.send(sender=ThreadDetailView, thread_id=thread_id, ttl=dict(body["ttl"]))
        if "return=minimal" in request.headers.get("Prefer", ""):
            return Response(status=204)
        return Response(s.thread_json(thread))

    @extend_schema(responses={204: None})
    def delete(self, request, thread_id):
        thread_id = thread_id_of(thread_id)
        services.delete_thread(thread_id=thread_id, filters=authorize(request, "delete", thread_id=thread_id))
        return Response(status=204)


class ThreadCopyView(APIView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, thread_id):
        thread_id = thread_id_of(thread_id)
        read_body(request, allow_empty=True)
        filters = authorize(request, "read", thread_id=thread_id)
        metadata = None
        if access.enabled():  # the copy is a new thread: threads.create with the copy's value
            source = selectors.get_thread(thread_id=thread_id, filters=filters)
            value = {"thread_id": None, "metadata": dict(source.metadata or {}), "if_exists": "raise"}
            access.authorize(getattr(request, "api", None), "threads", "create", value)
            metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        copy = services.copy_thread(thread_id=thread_id, filters=filters, metadata=metadata)
        return Response(s.thread_json(copy))


class ThreadStateView(APIView):
    @extend_schema(parameters=[s.StateQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request, thread_id):
        thread_id = thread_id_of(thread_id)
        query = validated(s.StateQuerySerializer, request.query_params)
        filters = authorize(request, "read", thread_id=thread_id)
        return Response(selectors.get_thread_state(thread_id=thread_id, subgraphs=query["subgraphs"], filters=filters))

    @extend_schema(request=s.StateUpdateSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request, thread_id):
        thread_id = thread_id_of(thread_id)
        body = validated(s.StateUpdateSerializer, read_body(request))
        checkpoint = _checkpoint(body.get("checkpoint")) or {}
        if body.get("checkpoint_id"):
            checkpoint["checkpoint_id"] = body["checkpoint_id"]
        filters = authorize(request, "update", thread_id=thread_id)
        result = services.update_thread_state(
            thread_id=thread_id, values=body.get("values"), as_node=body.get("as_node"),
            checkpoint=checkpoint or None, filters=filters,
        )
        return Response(result)


class ThreadStateAtView(APIView):
    @extend_schema(operation_id="threads_state_at_checkpoint", parameters=[s.StateQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request, thread_id, checkpoint_id):
        thread_id = thread_id_of(thread_id)
        checkpoint_id = parse_uuid(checkpoint_id)
        if checkpoint_id is None:
            raise InvalidInput("Invalid checkpoint ID")
        query = validated(s.StateQuerySerializer, request.query_params)
        return Response(selectors.get_thread_state(
            thread_id=thread_id, checkpoint={"checkpoint_id": str(checkpoint_id)}, subgraphs=query["subgraphs"],
            filters=authorize(request, "read", thread_id=thread_id),
        ))


class ThreadStateCheckpointView(APIView):
    @extend_schema(request=s.StateCheckpointSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request, thread_id):
        thread_id = thread_id_of(thread_id)
        body = validated(s.StateCheckpointSerializer, read_body(request))
        return Response(selectors.get_thread_state(
            thread_id=thread_id, checkpoint=_checkpoint(body["checkpoint"]), subgraphs=body["subgraphs"],
            filters=authorize(request, "read", thread_id=thread_id),
        ))


class ThreadHistoryView(APIView):
    @extend_schema(parameters=[s.HistoryQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request, thread_id):
        thread_id = thread_id_of(thread_id)
        query = validated(s.HistoryQuerySerializer, request.query_params)
        return Response(selectors.get_thread_history(
            thread_id=thread_id, limit=query["limit"], before=query.get("before"),
            filters=authorize(request, "read", thread_id=thread_id),
        ))

    @extend_schema(operation_id="threads_history_search", request=s.HistorySerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request, thread_id):
        thread_id = thread_id_of(thread_id)
        body = validated(s.HistorySerializer, read_body(request))
        return Response(selectors.get_thread_history(
            thread_id=thread_id, limit=body["limit"], before=body.get("before"), metadata=body.get("metadata"),
            checkpoint=_checkpoint(body.get("checkpoint")), filters=authorize(request, "read", thread_id=thread_id),
        ))
