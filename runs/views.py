"""Thin DRF views for runs; streaming responses are Channels consumers (runs/consumers/)."""
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from agentserver.api import access
from agentserver.api.bodies import json_body
from agentserver.api.exceptions import InvalidInput, NotFound, flatten_errors
from agentserver.api.fields import MAX_OFFSET, require_object, uuid_or_422
from agentserver.api.validation import validated
from runs import selectors, services
from runs.models import CANCEL_STATUSES, CancelAction, RunStatus
from runs.serializers import RunCreateSerializer, RunSerializer


def _run_response(run, *, stateless=False):
    headers = {"Content-Location": f"/threads/{run.thread_id}/runs/{run.run_id}"}
    if stateless:
        headers = {"Content-Location": f"/runs/{run.run_id}"}
    return Response(RunSerializer(run).data, headers=headers)


def _validated_create(data):
    return validated(RunCreateSerializer, require_object(data))


def _api(request):
    return getattr(request, "api", None)


def _authorize(request, operation, **value):
    """Runs are authorized as actions on their thread (``agentserver.api.access``)."""
    return access.authorize(_api(request), "threads", operation, access.value_of(**value))


def create_run(request, payload, *, thread_id):
    """``threads.create_run`` authorization, then the run (the user rides in its config)."""
    payload, filters = access.authorize_run(_api(request), payload, thread_id=thread_id)
    stamp = payload.get("metadata") if access.user_of(_api(request)) else None
    return services.create_run(payload=payload, thread_id=thread_id, filters=filters, thread_metadata=stamp)


class ThreadRunsView(APIView):
    def get(self, request, thread_id):
        thread_id = uuid_or_422(thread_id, what="thread")
        params = ListRunsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        # as the reference: listing a thread's runs is a search (``ThreadsSearch`` with ``thread_id``)
        filters = _authorize(request, "search", thread_id=thread_id, status=params.validated_data.get("status"),
                             limit=params.validated_data["limit"], offset=params.validated_data["offset"])
        runs = selectors.list_runs(thread_id=thread_id, **params.validated_data, filters=filters)
        return Response(RunSerializer(runs, many=True).data)

    def post(self, request, thread_id):
        thread_id = uuid_or_422(thread_id, what="thread")
        run = create_run(request, _validated_create(json_body(request, allow_empty=True)), thread_id=thread_id)
        return _run_response(run)


class ListRunsSerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=10000)
    offset = serializers.IntegerField(required=False, default=0, min_value=0, max_value=MAX_OFFSET)
    status = serializers.ChoiceField(choices=RunStatus.values, required=False, allow_null=True)


class RunDetailView(APIView):
    def get(self, request, thread_id, run_id):
        thread_id, run_id = uuid_or_422(thread_id, what="thread"), uuid_or_422(run_id, what="run")
        filters = _authorize(request, "read", thread_id=thread_id, run_id=run_id)
        run = selectors.get_run(thread_id=thread_id, run_id=run_id, filters=filters)
        return Response(RunSerializer(run).data)

    def delete(self, request, thread_id, run_id):
        thread_id, run_id = uuid_or_422(thread_id, what="thread"), uuid_or_422(run_id, what="run")
        filters = _authorize(request, "delete", thread_id=thread_id, run_id=run_id)
        services.delete_run(thread_id=thread_id, run_id=run_id, filters=filters)
        return Response(status=204)


class CancelRunView(APIView):
    def post(self, request, thread_id, run_id):
        thread_id, run_id = uuid_or_422(thread_id, what="thread"), uuid_or_422(run_id, what="run")
        action = request.query_params.get("action", CancelAction.INTERRUPT)
        wait = request.query_params.get("wait", "false").lower() in ("1", "true", "yes")
        filters = _authorize(request, "update", thread_id=thread_id, action=action)
        services.cancel_run(thread_id=thread_id, run_id=run_id, action=action, filters=filters)
        if not wait:
            return Response(status=202)
        selectors.wait_until_finished(run_ids=[run_id], timeout=60.0)
        return Response({}, headers={"Location": f"/threads/{thread_id}/runs/{run_id}/join",
                                     "Content-Location": f"/threads/{thread_id}/runs/{run_id}"})


class BulkCancelSerializer(serializers.Serializer):
    thread_id = serializers.UUIDField(required=False, allow_null=True)
    run_ids = serializers.ListField(child=serializers.UUIDField(), required=False, allow_null=True)
    status = serializers.ChoiceField(choices=CANCEL_STATUSES, required=False, allow_null=True)

    def validate(self, attrs):
        if attrs.get("status") and (attrs.get("thread_id") or attrs.get("run_ids")):
            raise serializers.ValidationError(
                "When providing a 'status', 'thread_id' and 'run_ids' must be omitted. "
                "The 'status' parameter cancels all runs with the given status, regardless of thread or run ID."
            )
        if not attrs.get("status") and not attrs.get("run_ids") and not attrs.get("thread_id"):
            raise serializers.ValidationError("Provide either 'status', or 'thread_id' and/or 'run_ids'.")
        return attrs


class BulkCancelView(APIView):
    def post(self, request):
        params = BulkCancelSerializer(data=json_body(request, allow_empty=True))
        params.is_valid(raise_exception=True)
        action = request.query_params.get("action", CancelAction.INTERRUPT)
        filters = _authorize(request, "update", thread_id=params.validated_data.get("thread_id"), action=action)
        cancelled = services.cancel_runs(**params.validated_data, action=action, filters=filters)
        if not cancelled:
            raise NotFound("No runs found to cancel.")
        return Response(status=204)


class StatelessRunsView(APIView):
    def post(self, request):
        run = create_run(request, _validated_create(json_body(request, allow_empty=True)), thread_id=None)
        return _run_response(run, stateless=True)


class BatchRunsView(APIView):
    def post(self, request):
        items = json_body(request, kind=None)
        if not isinstance(items, list):
            raise InvalidInput("Request body must be a JSON array of run-create objects")
        payloads = []
        for index, item in enumerate(items):
            serializer = RunCreateSerializer(data=item if isinstance(item, dict) else None)
            if not serializer.is_valid():
                raise InvalidInput(f"[{index}] {flatten_errors(serializer.errors)}")
            payloads.append(dict(serializer.validated_data))
        runs = [create_run(request, payload, thread_id=None) for payload in payloads]
        return Response(RunSerializer(runs, many=True).data)


class StatelessRunDetailView(APIView):
    """GET /runs/{run_id}: the stateless run's Content-Location (the reference 404s here)."""

    def get(self, request, run_id):
        run_id = uuid_or_422(run_id, what="run")
        run = selectors.get_run_by_id(run_id=run_id, filters=_authorize(request, "read", run_id=run_id))
        return Response(RunSerializer(run).data)


class ThreadCommandsView(APIView):
    """POST /threads/{thread_id}/commands (protocol v2)."""

    def post(self, request, thread_id):
        from runs.commands import execute_command

        status, envelope = execute_command(thread_id=uuid_or_422(thread_id, what="thread"),
                                           command=json_body(request, allow_empty=True, kind=None), api_request=_api(request))
        return Response(envelope, status=status)
