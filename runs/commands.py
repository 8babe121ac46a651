"""Protocol v2 commands (POST /threads/{thread_id}/commands): run.start, input.respond, run.cancel."""
from agentserver.api import access
from agentserver.api.exceptions import ServiceError, flatten_errors
from runs import services
from runs.models import CancelAction
from runs.protocol_v2 import SUBSEQ
from runs.serializers import RunCreateSerializer
from streaming.selectors import log_head
from threads.models import Thread

V2_STREAM_MODES = ["values", "updates", "messages-tuple", "custom", "tasks"]


class CommandError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def _thread(thread_id, filters=None):
    thread = Thread.objects.visible(filters).filter(pk=thread_id).first()
    if thread is None:
        raise CommandError("not_found", f"Thread with ID {thread_id} not found")
    return thread


def _start(thread, params, api_request=None):
    payload = {"stream_mode": V2_STREAM_MODES, **params}
    serializer = RunCreateSerializer(data=payload)
    if not serializer.is_valid():
        raise CommandError("invalid_argument", flatten_errors(serializer.errors))
    payload, filters = access.authorize_run(api_request, dict(serializer.validated_data), thread_id=thread.pk)
    try:
        run = services.create_run(payload=payload, thread_id=thread.pk, filters=filters)
    except ServiceError as exc:
        raise CommandError("invalid_argument", exc.detail) from exc
    return {"run_id": str(run.run_id)}


def run_start(thread, params, api_request=None):
    return _start(thread, params, api_request)


def input_respond(thread, params, api_request=None):
    interrupt_id = params.get("interrupt_id")
    if not isinstance(interrupt_id, str) or not interrupt_id:
        raise CommandError("invalid_argument", "params.interrupt_id is required")
    assistant_id = params.get("assistant_id") or (thread.metadata or {}).get("assistant_id")
    if not assistant_id:
        raise CommandError("invalid_argument", "params.assistant_id is required (the thread has no assistant yet)")
    return _start(thread, {"assistant_id": assistant_id, "command": {"resume": {interrupt_id: params.get("response")}}},
                  api_request)


def run_cancel(thread, params, api_request=None):
    action = params.get("action", CancelAction.INTERRUPT)
    run_ids = [params["run_id"]] if params.get("run_id") else None
    filters = access.authorize(api_request, "threads", "update", {"thread_id": thread.pk, "action": action})
    cancelled = services.cancel_runs(thread_id=thread.pk, run_ids=run_ids, action=action, filters=filters)
    if not cancelled:
        raise CommandError("no_such_run", "No active run is bound to this thread.")
    return {"cancelled": [str(run_id) for run_id in cancelled]}


HANDLERS = {"run.start": run_start, "input.respond": input_respond, "run.cancel": run_cancel}


def execute_command(*, thread_id, command, api_request=None):
    """Returns (http_status, envelope). ``api_request``: the caller, for authorization (the thread
    is read as ``threads.read``; ``run.start``/``input.respond`` are ``threads.create_run``,
    ``run.cancel`` is ``threads.update``)."""
    command_id = command.get("id") if isinstance(command, dict) else None
    if not isinstance(command, dict) or not isinstance(command_id, (int, str)) or isinstance(command_id, bool):
        return 400, {"type": "error", "id": None, "error": "invalid_argument", "message": "id is required"}
    method, params = command.get("method"), command.get("params") or {}
    handler = HANDLERS.get(method)
    if handler is None:
        return 200, {"type": "error", "id": command_id, "error": "unknown_command", "message": f"Unknown command: {method}"}
    if not isinstance(params, dict):
        return 200, {"type": "error", "id": command_id, "error": "invalid_argument", "message": "params must be an object"}
    try:
        filters = access.authorize(api_request, "threads", "read", {"thread_id": thread_id})
        thread = _thread(thread_id, filters)
        result = handler(thread, params, api_request)
    except CommandError as exc:
        return 200, {"type": "error", "id": command_id, "error": exc.code, "message": exc.message}
    head = log_head(thread_id=thread_id) or 0

    return 200, {"type": "success", "id": command_id, "result": result, "meta": {"applied_through_seq": head * SUBSEQ}}
