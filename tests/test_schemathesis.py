"""Property-based requests over the whole OpenAPI document (run and stream routes included), against
the live server: no input may get a 5xx, every status, content type and (on JSON routes) body must
be one the document describes. Bounded: a few examples per operation, each call at most 15 s
(``SCHEMATHESIS_EXAMPLES=<n>``: more, to hunt)."""
import os

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

# Described briefly (JSON-RPC of MCP and A2A, Prometheus text, HTML): only no server error is checked.
LOOSE_PATHS = ("/mcp/", "/a2a/", "/metrics", "/docs")


@pytest.fixture(scope="module")
def api_schema(agent_server):
    return schemathesis.openapi.from_url(f"{agent_server.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


def _streams(case):
    responses = case.operation.definition.raw.get("responses", {})
    return any("text/event-stream" in (answer.get("content") or {}) for answer in responses.values())


@schema.parametrize()
@settings(max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES") or 4), deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_answer_is_one_the_document_describes(case):
    response = case.call(timeout=15)
    if case.path.startswith(LOOSE_PATHS):
        case.validate_response(response, checks=[not_a_server_error])
        return
    checks = [not_a_server_error, status_code_conformance, content_type_conformance]
    if not _streams(case) or response.headers.get("content-type", [""])[0].startswith("application/json"):
        checks.append(response_schema_conformance)
    case.validate_response(response, checks=checks)
