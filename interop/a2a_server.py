"""A2A at ``/a2a/{assistant_id}`` (JSON-RPC) and the agent cards, on a2a-sdk's server parts.

The SDK's JSON-RPC dispatcher parses and answers the protocol, in A2A 1.0 (``SendMessage``...) and
in 0.3 (``message/send``, ``message/stream``, ``tasks/get``, ``tasks/cancel``, the reference's
names) on the same endpoint. ``RunsRequestHandler`` maps it onto runs, read back from the database,
so any server process answers for a task that any executor ran.
"""
import logging

import orjson
from a2a.server.request_handlers.request_handler import RequestHandler
from a2a.server.request_handlers.response_helpers import agent_card_to_dict
from a2a.server.routes.common import DefaultServerCallContextBuilder
from a2a.server.routes.jsonrpc_dispatcher import JsonRpcDispatcher
from a2a.types.a2a_pb2 import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentSkill,
    ListTasksResponse,
    TaskArtifactUpdateEvent,
    TaskState,
    TaskStatus,
    TaskStatusUpdateEvent,
)
from a2a.utils.errors import (
    InvalidParamsError,
    PushNotificationNotSupportedError,
    TaskNotCancelableError,
    TaskNotFoundError,
    UnsupportedOperationError,
)
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

import agentserver
from agentserver.api.exceptions import ServiceError
from agentserver.db import db
from agentserver.graphs import registry
from agentserver.ids import parse_uuid
from assistants.selectors import resolve_assistant
from interop import a2a_tasks, runner
from runs import services
from runs.models import Run
from threads.models import Thread, ThreadStatus

logger = logging.getLogger(__name__)
MAX_LIST = 100


def _find_assistant(assistant_id):
    try:
        assistant = resolve_assistant(assistant_id=assistant_id)
    except ServiceError:
        return None
    return assistant if assistant.graph_id in registry.specs else None


def _run(*, assistant, run_id):
    parsed = parse_uuid(run_id)
    run = Run.objects.filter(pk=parsed, assistant_id=assistant.assistant_id).first() if parsed else None
    if run is None:
        raise TaskNotFoundError(message=f"Task {run_id} not found")
    return run


def _waits_for_input(thread_id):
    return Thread.objects.filter(pk=thread_id, status=ThreadStatus.INTERRUPTED).exists()


def _task(run, history_length=None):
    history = [a2a_tasks.input_message_of(run)] if history_length != 0 else []
    return a2a_tasks.task_of(run=run, status=run.status, output=run.output, history=history)


class RunsRequestHandler(RequestHandler):
    async def _start(self, params, context):
        assistant = context.state["assistant"]
        message = params.message
        thread_id = a2a_tasks.context_thread_id(message)
        payload = {"assistant_id": str(assistant.assistant_id), "if_not_exists": "create",
                   "metadata": {"a2a_message_id": message.message_id}}
        if await db(_waits_for_input)(thread_id):
            payload["command"] = {"resume": a2a_tasks.resume_value(message)}
        else:
            payload["input"] = a2a_tasks.run_input(message)
        try:
            return await runner.start_run(payload=payload, thread_id=thread_id)
        except ServiceError as exc:
            raise InvalidParamsError(message=str(exc.detail)) from None

    async def _finished_task(self, run):
        await runner.wait_for_run(run_id=run.run_id)
        run = await db(Run.objects.filter(pk=run.run_id).first)()
        if run is None:
            raise TaskNotFoundError(message="The task's run was deleted")
        return _task(run)

    async def on_message_send(self, params, context):
        run = await self._start(params, context)
        if params.configuration.return_immediately:
            return _task(run)
        return await self._finished_task(run)

    async def on_message_send_stream(self, params, context):
        run = await self._start(params, context)
        async for event in self._follow(run):
            yield event

    async def on_subscribe_to_task(self, params, context):
        """tasks/resubscribe: the task's updates, replayed from its start (a finished task: up to its
        final state)."""
        run = await db(_run)(assistant=context.state["assistant"], run_id=params.id)
        async for event in self._follow(run):
            yield event

    async def _follow(self, run):
        """The task, a working update, one per new AI message as the run stores its values, then the
        artifact and the final status."""
        ids = {"task_id": str(run.run_id), "context_id": str(run.thread_id)}
        yield _task(run)
        yield TaskStatusUpdateEvent(status=TaskStatus(state=TaskState.TASK_STATE_WORKING), **ids)
        seen = None  # AI messages of the thread before this run (its first values) are not news
        async for event, data in runner.run_events(run_id=run.run_id):
            if event != "values":
                continue
            found = a2a_tasks.ai_messages(orjson.loads(data))
            if seen is None:
                seen = {key for key, _ in found}
            for key, text in found:
                if key not in seen:
                    seen.add(key)
                    message = a2a_tasks.working_message(text=text, **ids)
                    yield TaskStatusUpdateEvent(status=TaskStatus(state=TaskState.TASK_STATE_WORKING,
                                                                  message=message), **ids)
        task = await self._finished_task(run)
        for artifact in task.artifacts:
            yield TaskArtifactUpdateEvent(artifact=artifact, last_chunk=True, **ids)
        yield TaskStatusUpdateEvent(status=task.status, **ids)

    async def on_get_task(self, params, context):
        run = await db(_run)(assistant=context.state["assistant"], run_id=params.id)
        return _task(run, params.history_length if params.HasField("history_length") else None)

    async def on_cancel_task(self, params, context):
        run = await db(_run)(assistant=context.state["assistant"], run_id=params.id)
        cancelled = await db(services.cancel_runs)(run_ids=[run.run_id], action="interrupt")
        if not cancelled:
            state = TaskState.Name(a2a_tasks.STATES[run.status])
            raise TaskNotCancelableError(message=f"Task {params.id} is already {state}")
        return await self._finished_task(run)

    async def on_list_tasks(self, params, context):
        def page():
            qs = Run.objects.filter(assistant_id=context.state["assistant"].assistant_id).order_by("-created_at")
            if params.context_id:
                thread_id = parse_uuid(params.context_id)
                if thread_id is None:
                    raise InvalidParamsError(message="contextId must be a UUID")
                qs = qs.filter(thread_id=thread_id)
            size = min(params.page_size or 50, MAX_LIST)
            return [_task(run, params.history_length if params.HasField("history_length") else None)
                    for run in qs[:size]], qs.count(), size

        tasks, total, size = await db(page)()
        return ListTasksResponse(tasks=tasks, total_size=total, page_size=size)

    async def on_get_extended_agent_card(self, params, context):
        raise UnsupportedOperationError(message="No extended agent card")

    async def _no_push(self, params, context):
        raise PushNotificationNotSupportedError(message="Push notifications are not supported")

    on_create_task_push_notification_config = _no_push
    on_get_task_push_notification_config = _no_push
    on_list_task_push_notification_configs = _no_push
    on_delete_task_push_notification_config = _no_push


class AssistantContextBuilder(DefaultServerCallContextBuilder):
    def build(self, request):
        context = super().build(request)
        context.state["assistant"] = request.scope["a2a_assistant"]
        return context


dispatcher = JsonRpcDispatcher(request_handler=RunsRequestHandler(), context_builder=AssistantContextBuilder(),
                               enable_v0_3_compat=True)


def _rpc_error(status, code, message):
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def agent_card(*, assistant, base_url):
    url = f"{base_url.rstrip('/')}/a2a/{assistant.assistant_id}"
    description = assistant.description or f"LangGraph assistant '{assistant.name}' (graph {assistant.graph_id})."
    interfaces = [AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version=version)
                  for version in ("1.0", "0.3")]
    skill = AgentSkill(id=assistant.graph_id, name=assistant.name, description=description, tags=["langgraph"])
    return AgentCard(name=assistant.name, description=description, version=agentserver.__version__,
                     supported_interfaces=interfaces, capabilities=AgentCapabilities(streaming=True),
                     default_input_modes=["text/plain", "application/json"],
                     default_output_modes=["text/plain", "application/json"], skills=[skill])


async def rpc(request):
    assistant = await db(_find_assistant)(request.path_params["assistant_id"])
    if assistant is None:
        return _rpc_error(404, -32602, f"Assistant {request.path_params['assistant_id']!r} not found")
    request.scope["a2a_assistant"] = assistant
    return await dispatcher.handle_requests(request)


async def card(request):
    assistant_id = request.path_params.get("assistant_id") or request.query_params.get("assistant_id")
    if not assistant_id:
        return _rpc_error(400, -32602, "Missing required query parameter: assistant_id")
    assistant = await db(_find_assistant)(assistant_id)
    if assistant is None:
        return _rpc_error(404, -32602, f"Assistant {assistant_id!r} not found")
    body = agent_card_to_dict(agent_card(assistant=assistant, base_url=str(request.base_url)))
    return Response(orjson.dumps(body), media_type="application/json")


a2a_app = Starlette(routes=[
    Route("/a2a/{assistant_id}", rpc, methods=["POST"]),
    Route("/a2a/{assistant_id}/.well-known/agent-card.json", card, methods=["GET"]),
    Route("/a2a/{assistant_id}/.well-known/agent.json", card, methods=["GET"]),
    Route("/.well-known/agent-card.json", card, methods=["GET"]),
])
