"""Property-based requests over the whole OpenAPI document (run and stream routes included), against
the live server: no input may get a 5xx. Bounded: a few examples per operation."""
import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402


@pytest.fixture(scope="module")
def api_schema(agent_server):
    return schemathesis.openapi.from_url(f"{agent_server.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_input_gets_a_server_error(case):
    response = case.call(timeout=15)
    case.validate_response(response, checks=[not_a_server_error])
