"""``/openapi.json`` with the security of the auth in use (a drf-spectacular post-processing hook).

Custom auth: langgraph.json's ``auth.openapi`` (``securitySchemes`` and ``security``) as the
reference documents. API keys: an ``x-api-key`` header scheme and a bearer scheme."""
from agentserver.openapi import add_auth_errors
from apiauth import setup

API_KEY_SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
    "bearer": {"type": "http", "scheme": "bearer"},
}


def add_security(result, generator=None, request=None, public=True, **kwargs):
    current = setup.mode()
    if current == "custom":
        openapi = setup.auth_config().get("openapi") or {}
        schemes, security = openapi.get("securitySchemes"), openapi.get("security")
    elif current == "api_keys":
        schemes, security = API_KEY_SCHEMES, [{"apiKey": []}, {"bearer": []}]
    else:
        return result
    if schemes:
        result.setdefault("components", {}).setdefault("securitySchemes", {}).update(schemes)
    if security:
        result["security"] = security
    return add_auth_errors(result)
