"""Store API: PUT/GET/DELETE /store/items, POST /store/items/search, POST /store/namespaces.

Every endpoint is authorized as ``("store", action)`` (``agentserver.api.access``) with the
reference's value shapes (``langgraph_sdk.auth.types.StorePut`` ... ``StoreListNamespaces``): the
handler may rewrite ``value["namespace"]`` (the item's namespace, or the prefix of a search or a
listing) and the endpoint then uses the rewritten one; returning False or raising refuses (403).
A search's ``filter`` the handler changes is used too. A filter a store handler returns is ignored, as in the reference (store namespaces are the app's)."""
from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from agentserver.api import access
from agentserver.api.exceptions import InvalidInput
from agentserver.api.fields import require_object
from agentserver.api.validation import validated
from store import selectors, services
from store import serializers as s


def _authorized_namespace(request, action, value, *, allow_empty=False):
    """Authorize ``action`` with ``value`` (whose ``namespace`` is a tuple or None) and return the
    namespace to use: the handler's rewrite, checked like the client's (422 when it is not one)."""
    if not access.enabled():
        return value["namespace"]
    access.authorize(getattr(request, "api", None), "store", action, value)
    namespace = value.get("namespace")
    if namespace is None and allow_empty:
        return None
    try:
        labels = s.check_labels(namespace)
    except serializers.ValidationError as exc:
        raise InvalidInput(f"namespace (as authorized): {' '.join(map(str, exc.detail))}") from None
    if not labels and not allow_empty:
        raise InvalidInput("namespace (as authorized): must not be empty")
    return labels


def _get_params(request):
    query = request.query_params.copy()
    labels = query.getlist("namespace")
    if len(labels) > 1:  # ?namespace=a&namespace=b (the OpenAPI array form) as well as ?namespace=a.b
        if any("." in label or not label for label in labels):
            raise InvalidInput("namespace: labels must be non-empty and must not contain periods ('.')")
        query.setlist("namespace", [".".join(labels)])
    return validated(s.GetItemSerializer, query.dict())


class ItemsView(APIView):
    def put(self, request):
        params = validated(s.PutItemSerializer, require_object(request.data))
        value = {"namespace": params["namespace"], "key": params["key"], "value": params["value"],
                 "index": params.get("index")}
        params["namespace"] = _authorized_namespace(request, "put", value)
        services.put_item(**params)
        return Response(status=204)

    def get(self, request):
        params = _get_params(request)
        value = {"namespace": params["namespace"], "key": params["key"]}
        params["namespace"] = _authorized_namespace(request, "get", value)
        item = selectors.get_item(**params)
        if item is None:
            return HttpResponse(b"null", content_type="application/json")
        return Response(item)

    def delete(self, request):
        params = validated(s.DeleteItemSerializer, require_object(request.data))
        value = {"namespace": params["namespace"], "key": params["key"]}
        params["namespace"] = _authorized_namespace(request, "delete", value)
        services.delete_item(**params)
        return Response(status=204)


class SearchItemsView(APIView):
    def post(self, request):
        params = validated(s.SearchItemsSerializer, require_object(request.data))
        value = {"namespace": params["namespace_prefix"], "filter": params.get("filter"),
                 "limit": params["limit"], "offset": params["offset"], "query": params.get("query")}
        params["namespace_prefix"] = _authorized_namespace(request, "search", value, allow_empty=True) or ()
        params["filter"] = value.get("filter") if isinstance(value.get("filter"), dict) else None
        return Response({"items": selectors.search_items(**params)})


class NamespacesView(APIView):
    def post(self, request):
        params = validated(s.ListNamespacesSerializer, require_object(request.data))
        value = {"namespace": params.get("prefix"), "suffix": params.get("suffix"),
                 "max_depth": params.get("max_depth"), "limit": params["limit"], "offset": params["offset"]}
        params["prefix"] = _authorized_namespace(request, "list_namespaces", value, allow_empty=True) or None
        return Response({"namespaces": selectors.list_namespaces(**params)})
