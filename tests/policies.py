"""Request policies for the pipeline tests (AGENTSERVER["REQUEST_POLICIES"])."""
from agentserver.api.pipeline import ApiError

SEEN = []


def require_team_header(request):
    """Refuse requests without ``x-team``; remember the ones let through."""
    if request.header("x-team") is None:
        raise ApiError("x-team header required", status_code=401, headers={"www-authenticate": "Team"})
    request.user = request.header("x-team")
    SEEN.append((request.method, request.path, request.user))
