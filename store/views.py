"""Store API: PUT/GET/DELETE /store/items, POST /store/items/search, POST /store/namespaces."""
from django.http import HttpResponse
from rest_framework.response import Response
from rest_framework.views import APIView

from agentserver.api.exceptions import InvalidInput
from agentserver.api.fields import require_object
from store import selectors, services
from store import serializers as s


def _validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ItemsView(APIView):
    def put(self, request):
        services.put_item(**_validated(s.PutItemSerializer, require_object(request.data)))
        return Response(status=204)

    def get(self, request):
        query = request.query_params.copy()
        labels = query.getlist("namespace")
        if len(labels) > 1:  # ?namespace=a&namespace=b (the OpenAPI array form) as well as ?namespace=a.b
            if any("." in label or not label for label in labels):
                raise InvalidInput("namespace: labels must be non-empty and must not contain periods ('.')")
            query.setlist("namespace", [".".join(labels)])
        params = _validated(s.GetItemSerializer, query.dict())
        item = selectors.get_item(**params)
        if item is None:
            return HttpResponse(b"null", content_type="application/json")
        return Response(item)

    def delete(self, request):
        services.delete_item(**_validated(s.DeleteItemSerializer, require_object(request.data)))
        return Response(status=204)


class SearchItemsView(APIView):
    def post(self, request):
        items = selectors.search_items(**_validated(s.SearchItemsSerializer, require_object(request.data)))
        return Response({"items": items})


class NamespacesView(APIView):
    def post(self, request):
        namespaces = selectors.list_namespaces(**_validated(s.ListNamespacesSerializer, require_object(request.data)))
        return Response({"namespaces": namespaces})
