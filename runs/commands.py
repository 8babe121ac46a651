"""Protocol v2 commands (POST /threads/{thread_id}/commands): run.start, input.respond, run.cancel."""
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


def _thread(thread_id):
    thread = Thread.objects.filter(pk=thread_id).first()
    if thread is None:
        raise CommandError("not_found", f"Thread with ID {thread_id} not found")
    return thread


def _start(thread, params, *, thread_id=None):
    payload = {"stream_mode": V2_STREAM_MODES, **params}
    if thread is None:
        payload["if_not_exists"] = "create"
    serializer = RunCreateSerializer(data=payload)
    if not serializer.is_valid():
        raise CommandError("invalid_argument", flatten_errors(serializer.errors))
    try:
        run = services.create_run(payload=dict(serializer.validated_data),
                                  thread_id=thread.pk if thread is not None else thread_id)
    except ServiceError as exc:
        raise CommandError("invalid_argument", exc.detail) from exc
    return {"run_id": str(run.run_id)}


def run_start(thread, params, *, thread_id=None):
    """Starts a run; on a thread that does not exist yet, creates it (as the reference does)."""
    return _start(thread, params, thread_id=thread_id)


def input_respond(thread, params):
    interrupt_id = params.get("interrupt_id")
    if not isinstance(interrupt_id, str) or not interrupt_id:
        raise CommandError("invalid_argument", "params.interrupt_id is required")
    assistant_id = params.get("assistant_id") or (thread.metadata or {}).get("assistant_id")
    if not assistant_id:
        raise CommandError("invalid_argument", "params.assistant_id is required (the thread has no assistant yet)")
    return _start(thread, {"assistant_id": assistant_id, "command": {"resume": {interrupt_id: params.get("response")}}})


def run_cancel(thread, params):
    action = params.get("action", CancelAction.INTERRUPT)
    run_ids = [params["run_id"]] if params.get("run_id") else None
    cancelled = services.cancel_runs(thread_id=thread.pk, run_ids=run_ids, action=action)
    if not cancelled:
        raise CommandError("no_such_run", "No active run is bound to this thread.")
    return {"cancelled": [str(run_id) for run_id in cancelled]}


HANDLERS = {"run.start": run_start, "input.respond": input_respond, "run.cancel": run_cancel}


def execute_command(*, thread_id, command):
    """Returns (http_status, envelope)."""
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
        if method == "run.start":
            thread = Thread.objects.filter(pk=thread_id).first()
            result = run_start(thread, params, thread_id=thread_id)
        else:
            thread = _thread(thread_id)
            result = handler(thread, params)
    except CommandError as exc:
        return 200, {"type": "error", "id": command_id, "error": exc.code, "message": exc.message}
    head = log_head(thread_id=thread_id) or 0

    return 200, {"type": "success", "id": command_id, "result": result, "meta": {"applied_through_seq": head * SUBSEQ}}
