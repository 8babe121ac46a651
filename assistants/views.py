"""HTTP endpoints of the Assistants API (thin: validate, call a service or selector, serialize)."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from agentserver.api import access
from agentserver.api.bodies import json_body
from agentserver.api.fields import uuid_or_422
from agentserver.api.validation import validated
from agentserver.graphs import registry
from agentserver.ids import system_assistant_id
from assistants import introspection, selectors, services
from assistants.serializers import (
    AssistantCountSerializer,
    AssistantCreateSerializer,
    AssistantPatchSerializer,
    AssistantSearchSerializer,
    DeleteQuerySerializer,
    SetLatestSerializer,
    SubgraphsQuerySerializer,
    VersionSearchSerializer,
    assistant_data,
    parse_xray,
    version_data,
)


def _body(request):
    """The JSON object sent; like the reference, an empty body is not valid JSON."""
    return json_body(request)


def _assistant_id(value):
    return uuid_or_422(value, what="assistant")


def _authorize(request, action, value):
    """The authorization filters for ``action`` on assistants (``agentserver.api.access``);
    the handler may change ``value`` in place."""
    return access.authorize(getattr(request, "api", None), "assistants", action, value)


def _fields(serializer_class, value):
    """The serializer's fields of a handler's value (a handler may add keys, e.g. ``metadata``)."""
    names = serializer_class().fields
    return {key: item for key, item in value.items() if key in names}


def _read_filters(request, assistant_id):
    return _authorize(request, "read", {"assistant_id": assistant_id})


class AssistantCreateView(APIView):
    @extend_schema(request=AssistantCreateSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        data = validated(AssistantCreateSerializer, _body(request))
        value = {**data, "metadata": dict(data.get("metadata") or {})}
        filters = _authorize(request, "create", value)
        assistant = services.create_assistant(**_fields(AssistantCreateSerializer, value), filters=filters)
        return Response(assistant_data(assistant))


class AssistantSearchView(APIView):
    @extend_schema(request=AssistantSearchSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        data = validated(AssistantSearchSerializer, _body(request))
        select = data.pop("select", None)
        offset = data["offset"]
        value = access.value_of(graph_id=data.get("graph_id"), metadata=dict(data.get("metadata") or {}), limit=data["limit"],
                                offset=offset)
        filters = _authorize(request, "search", value)
        data["metadata"] = value.get("metadata")  # (a handler may narrow the search itself)
        assistants, next_offset = selectors.search_assistants(**data, filters=filters)
        if next_offset is None:
            headers = {"X-Pagination-Total": str(offset + len(assistants))}
        else:
            # As the reference: the total announced is "at least one more than this page".
            headers = {"X-Pagination-Total": str(next_offset + 1), "X-Pagination-Next": str(next_offset)}
        body = [assistant_data(assistant, select=select) for assistant in assistants]
        return Response(body, headers=headers)


class AssistantCountView(APIView):
    @extend_schema(request=AssistantCountSerializer, responses=OpenApiTypes.INT)
    def post(self, request):
        data = validated(AssistantCountSerializer, _body(request))
        value = access.value_of(graph_id=data.get("graph_id"), metadata=dict(data.get("metadata") or {}))
        filters = _authorize(request, "search", value)
        data["metadata"] = value.get("metadata")
        return Response(selectors.count_assistants(**data, filters=filters))


class AssistantDetailView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, assistant_id):
        assistant_id = _assistant_id(assistant_id)
        assistant = selectors.get_registered_assistant(assistant_id=assistant_id, filters=_read_filters(request, assistant_id))
        return Response(assistant_data(assistant))

    @extend_schema(request=AssistantPatchSerializer, responses=OpenApiTypes.OBJECT)
    def patch(self, request, assistant_id):
        assistant_id = _assistant_id(assistant_id)
        data = validated(AssistantPatchSerializer, _body(request))
        value = {"assistant_id": assistant_id, **data}
        filters = _authorize(request, "update", value)
        data = _fields(AssistantPatchSerializer, value)
        assistant = services.update_assistant(assistant_id=assistant_id, **data, filters=filters)
        return Response(assistant_data(assistant))

    @extend_schema(parameters=[DeleteQuerySerializer], responses={204: None})
    def delete(self, request, assistant_id):
        assistant_id = _assistant_id(assistant_id)
        query = validated(DeleteQuerySerializer, request.query_params)
        filters = _authorize(request, "delete", {"assistant_id": assistant_id})
        thread_filters = None
        if query["delete_threads"]:
            thread_filters = access.authorize(getattr(request, "api", None), "threads", "delete",
                                              {"assistant_id": assistant_id})
        services.delete_assistant(assistant_id=assistant_id, delete_threads=query["delete_threads"], filters=filters,
                                  thread_filters=thread_filters)
        return Response(status=204)


class AssistantGraphView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, assistant_id):
        # This endpoint also takes a graph id, meaning that graph's system assistant.
        if assistant_id in registry.specs:
            assistant_id = system_assistant_id(assistant_id)
        assistant_id = _assistant_id(assistant_id)
        assistant = selectors.get_registered_assistant(assistant_id=assistant_id, filters=_read_filters(request, assistant_id))
        xray = parse_xray(request.query_params.get("xray"))
        return Response(introspection.get_graph_drawing(assistant=assistant, xray=xray))


class AssistantSchemasView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, assistant_id):
        assistant_id = _assistant_id(assistant_id)
        assistant = selectors.get_registered_assistant(assistant_id=assistant_id, filters=_read_filters(request, assistant_id))
        return Response(introspection.get_schemas(assistant=assistant))


class AssistantSubgraphsView(APIView):
    @extend_schema(parameters=[SubgraphsQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request, assistant_id, namespace=None):
        assistant_id = _assistant_id(assistant_id)
        assistant = selectors.get_registered_assistant(assistant_id=assistant_id, filters=_read_filters(request, assistant_id))
        query = validated(SubgraphsQuerySerializer, request.query_params)
        subgraphs = introspection.get_subgraph_schemas(
            assistant=assistant, namespace=namespace, recurse=query["recurse"]
        )
        return Response(subgraphs)


class AssistantVersionsView(APIView):
    @extend_schema(request=VersionSearchSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request, assistant_id):
        assistant_id = _assistant_id(assistant_id)
        data = validated(VersionSearchSerializer, _body(request))
        versions = selectors.list_versions(assistant_id=assistant_id, **data, filters=_read_filters(request, assistant_id))
        return Response([version_data(version) for version in versions])


class AssistantLatestView(APIView):
    @extend_schema(request=SetLatestSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request, assistant_id):
        assistant_id = _assistant_id(assistant_id)
        data = validated(SetLatestSerializer, _body(request))
        filters = _authorize(request, "update", {"assistant_id": assistant_id, "version": data["version"]})
        assistant = services.set_latest_version(assistant_id=assistant_id, version=data["version"], filters=filters)
        return Response(assistant_data(assistant))
