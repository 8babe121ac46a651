"""The store's part of the OpenAPI document (a drf-spectacular post-processing hook)."""
from agentserver.openapi import OBJECT, array_of, operation, ref, set_body, set_response

DATE_TIME = {"type": "string", "format": "date-time"}
ITEM = {
    "type": "object",
    "properties": {
        "namespace": array_of({"type": "string"}), "key": {"type": "string"}, "value": OBJECT,
        "created_at": DATE_TIME, "updated_at": DATE_TIME,
    },
    "required": ["namespace", "key", "value", "created_at", "updated_at"],
}
SEARCH_ITEM = {**ITEM, "properties": {**ITEM["properties"], "score": {"type": "number", "nullable": True}}}

NAMESPACE = array_of({"type": "string"})
NULLABLE_NAMESPACE = {**NAMESPACE, "nullable": True}
PAGE = {"limit": {"type": "integer", "minimum": 1, "maximum": 1000}, "offset": {"type": "integer", "minimum": 0}}
BODIES = {
    "StorePutRequest": {"type": "object", "required": ["namespace", "key", "value"], "properties": {
        "namespace": NAMESPACE, "key": {"type": "string"}, "value": OBJECT,
        "index": {"nullable": True, "description": "false, or the fields to index"},
        "ttl": {"type": "number", "minimum": 0, "nullable": True}}},
    "StoreDeleteRequest": {"type": "object", "required": ["namespace", "key"],
                           "properties": {"namespace": NAMESPACE, "key": {"type": "string"}}},
    "StoreSearchRequest": {"type": "object", "properties": {
        "namespace_prefix": NULLABLE_NAMESPACE, "filter": {**OBJECT, "nullable": True}, **PAGE,
        "query": {"type": "string", "nullable": True}, "refresh_ttl": {"type": "boolean", "nullable": True}}},
    "StoreListNamespacesRequest": {"type": "object", "properties": {
        "prefix": NULLABLE_NAMESPACE, "suffix": NULLABLE_NAMESPACE,
        "max_depth": {"type": "integer", "minimum": 1, "nullable": True}, **PAGE}},
}
GET_PARAMETERS = [
    {"name": "namespace", "in": "query", "required": True, "schema": {"type": "string"},
     "description": "The namespace's labels joined with '.'"},
    {"name": "key", "in": "query", "required": True, "schema": {"type": "string"}},
    {"name": "refresh_ttl", "in": "query", "required": False, "schema": {"type": "boolean"}},
]


def describe_store(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {}).update(
        Item=ITEM, SearchItem=SEARCH_ITEM,
        SearchItemsResponse={"type": "object", "properties": {"items": array_of(ref("SearchItem"))},
                             "required": ["items"]},
        ListNamespaceResponse={"type": "object", "properties": {"namespaces": array_of(array_of({"type": "string"}))},
                               "required": ["namespaces"]})
    result["components"]["schemas"].update(BODIES)
    set_response(result, "/store/items", "get", {**ITEM, "nullable": True}, description="The item, or null")
    operation(result, "/store/items", "get")["parameters"] = GET_PARAMETERS
    set_body(result, "/store/items", "put", ref("StorePutRequest"))
    set_body(result, "/store/items", "delete", ref("StoreDeleteRequest"))
    set_body(result, "/store/items/search", "post", ref("StoreSearchRequest"), required=False)
    set_body(result, "/store/namespaces", "post", ref("StoreListNamespacesRequest"), required=False)
    set_response(result, "/store/items", "put", None, status="204", description="Stored")
    set_response(result, "/store/items", "delete", None, status="204", description="Deleted")
    set_response(result, "/store/items/search", "post", ref("SearchItemsResponse"))
    set_response(result, "/store/namespaces", "post", ref("ListNamespaceResponse"))
    return result
