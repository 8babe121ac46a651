"""Errors as the reference gives them: ``{"detail": "<message>"}`` with 404/405/409/422."""
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "Unprocessable entity"


class ServiceError(Exception):
    """Raised by services and selectors; views turn it into a JSON error response."""

    status_code = 400

    def __init__(self, detail, *, status_code=None):
        super().__init__(detail)
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code


class NotFound(ServiceError):
    status_code = 404


class AlreadyExists(ServiceError):
    status_code = 409


class InvalidInput(ServiceError):
    status_code = 422


def flatten_errors(detail, prefix=""):
    """Turn DRF's nested validation errors into one readable line naming each field."""
    if isinstance(detail, dict):
        parts = []
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                parts.append(flatten_errors(value, prefix))
            else:
                parts.append(flatten_errors(value, name))
        return "; ".join(p for p in parts if p)
    if isinstance(detail, list):
        items = [flatten_errors(item, prefix) for item in detail]
        if all(isinstance(item, str) for item in detail) and prefix:
            return f"{prefix}: {' '.join(str(i) for i in detail)}"
        return "; ".join(i for i in items if i)
    return f"{prefix}: {detail}" if prefix else str(detail)


MIGRATE_DETAIL = "The database is not migrated: run `python manage.py migrate`"


def missing_tables(exc):
    """Whether ``exc`` says a table is missing (a database without its migrations applied)."""
    from django.db import OperationalError, ProgrammingError

    if not isinstance(exc, (OperationalError, ProgrammingError)):
        return False
    text = str(exc)
    if "no such table" in text:  # SQLite
        return True
    cause = exc.__cause__
    return type(cause).__name__ == "UndefinedTable" or ('relation "' in text and "does not exist" in text)


def unavailable_detail(exc):
    """A 503 detail for a backing service that is down, or None when ``exc`` is something else."""
    from django.db import InterfaceError, OperationalError

    if missing_tables(exc):
        return f"{MIGRATE_DETAIL} ({str(exc).strip().splitlines()[0]})"
    if isinstance(exc, (OperationalError, InterfaceError)):
        return f"Database unavailable, try again shortly: {exc}".strip()
    try:
        import redis

        if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
            return f"Redis unavailable, try again shortly: {exc}".strip()
    except ImportError:  # pragma: no cover
        pass
    return None


def exception_handler(exc, context):
    """DRF's exception handler: the pipeline's one error rendering, then DRF's own for the rest."""
    from rest_framework.views import exception_handler as drf_exception_handler

    from agentserver.api.pipeline import render_error

    rendered = render_error(exc)
    if rendered is not None:
        status_code, body, headers = rendered
        return Response(body, status=status_code, headers=headers or None)
    if isinstance(exc, Http404):
        return Response({"detail": "Not Found"}, status=404)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return Response({"detail": "Method Not Allowed"}, status=405)
    if isinstance(exc, exceptions.NotFound):
        return Response({"detail": str(exc.detail) if exc.detail != "Not found." else "Not Found"}, status=404)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response


def json_404(request, exception=None):
    return JsonResponse({"detail": "Not Found"}, status=404)


def json_500(request):
    return JsonResponse({"detail": "Internal Server Error"}, status=500)
