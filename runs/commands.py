"""Protocol v2 commands (POST /threads/{thread_id}/commands): run.start, input.respond, run.cancel,
agent.getTree and subscription.subscribe / unsubscribe / reconnect (answered as the reference answers
them over HTTP, where no run or subscription is bound to the command's connection)."""
import uuid

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


def _start(thread, params, api_request=None, *, thread_id=None):
    payload = {"stream_mode": V2_STREAM_MODES, "stream_subgraphs": True, **params}
    if thread is None:
        payload["if_not_exists"] = "create"
    thread_id = thread.pk if thread is not None else thread_id
    serializer = RunCreateSerializer(data=payload)
    if not serializer.is_valid():
        raise CommandError("invalid_argument", flatten_errors(serializer.errors))
    payload, filters = access.authorize_run(api_request, dict(serializer.validated_data), thread_id=thread_id)
    try:
        run = services.create_run(payload=payload, thread_id=thread_id, filters=filters)
    except ServiceError as exc:
        raise CommandError("invalid_argument", exc.detail) from exc
    return {"run_id": str(run.run_id)}


def run_start(thread, params, api_request=None, *, thread_id=None):
    """Starts a run; on a thread that does not exist yet, creates it (as the reference does)."""
    return _start(thread, params, api_request, thread_id=thread_id)


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


NO_RUN = "No active run is bound to this thread."
_subscriptions = set()  # ids this process handed out (subscriptions live on the event stream's request)


def agent_get_tree(thread, params, api_request=None):
    raise CommandError("no_such_run", NO_RUN)


def subscription_subscribe(thread, params, api_request=None):
    channels = params.get("channels")
    if channels is not None and (not isinstance(channels, list) or not all(isinstance(c, str) for c in channels)):
        raise CommandError("invalid_argument", "params.channels must be an array of strings")
    subscription_id = str(uuid.uuid4())
    _subscriptions.add(subscription_id)
    return {"subscription_id": subscription_id, "replayed_events": 0}


def subscription_unsubscribe(thread, params, api_request=None):
    subscription_id = params.get("subscription_id")
    if subscription_id not in _subscriptions:
        raise CommandError("no_such_subscription", f"Unknown subscription: {subscription_id}")
    _subscriptions.discard(subscription_id)
    return {}


def subscription_reconnect(thread, params, api_request=None):
    raise CommandError("no_such_run", NO_RUN)


HANDLERS = {
    "run.start": run_start, "input.respond": input_respond, "run.cancel": run_cancel,
    "agent.getTree": agent_get_tree, "subscription.subscribe": subscription_subscribe,
    "subscription.unsubscribe": subscription_unsubscribe, "subscription.reconnect": subscription_reconnect,
}


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
        if method == "run.start":
            thread = Thread.objects.visible(filters).filter(pk=thread_id).first()
            if thread is None and Thread.objects.filter(pk=thread_id).exists():
                raise CommandError("not_found", f"Thread with ID {thread_id} not found")  # someone else's
            result = run_start(thread, params, api_request, thread_id=thread_id)
        else:
            thread = _thread(thread_id, filters)
            result = handler(thread, params, api_request)
    except CommandError as exc:
        return 200, {"type": "error", "id": command_id, "error": exc.code, "message": exc.message}
    head = log_head(thread_id=thread_id) or 0

    return 200, {"type": "success", "id": command_id, "result": result, "meta": {"applied_through_seq": head * SUBSEQ}}
