"""Run endpoints with long-lived responses: create+stream, create+wait, join stream, join."""
from agentserver import serde
from agentserver.api import access
from agentserver.api.consumers import StreamConsumer
from agentserver.api.exceptions import NotFound
from agentserver.api.params import parse_last_event_id, parse_stream_modes, path_uuid
from agentserver.db import db
from agentserver.ids import uuid7
from runs import joins, lifecycle, selectors, services
from runs.serializers import STREAM_MODES, RunCreateSerializer
from streaming import follow, notify


def _run_headers(thread_id, run_id, tail):
    base = f"/threads/{thread_id}/runs/{run_id}"
    return [("location", f"{base}/{tail}"), ("content-location", base)]


class CreateRunMixin:
    stateless_tail = None

    async def create(self, body, *, subscribe=False):
        """Validate and create the run; ``subscribe``: to its events first, so none can be missed."""
        payload = dict(self.validate(RunCreateSerializer, self.parse_json(body)))
        thread_id = path_uuid(self, "thread_id", "thread")
        self.stateless = thread_id is None
        if self.stateless:
            payload["attached"] = True
        payload["observed"] = True  # its creator streams or waits for it (see services.observe_run)
        payload, filters = await access.aauthorize_run(self.api_request, payload, thread_id=thread_id)
        stamp = payload.get("metadata") if access.user_of(self.api_request) else None
        run_id = uuid7()
        if subscribe:
            await self.subscribe(notify.run_group(run_id))
        run = await db(services.create_run)(payload=payload, thread_id=thread_id, run_id=run_id, filters=filters,
                                            thread_metadata=stamp)
        self.run_id, self.thread_id = run.run_id, run.thread_id
        self.announced_here = services.executes_here(run)
        self.on_disconnect_action = payload.get("on_disconnect", "continue")
        return run

    async def release(self, *, detach=True):
        if self.stateless:
            await lifecycle.settle_stateless_run(run_id=self.run_id, thread_id=self.thread_id, detach=detach)

    async def on_disconnect(self):
        if getattr(self, "run_id", None) is None:
            return
        if self.on_disconnect_action == "cancel":
            await db(services.cancel_runs)(run_ids=[self.run_id], action="interrupt")
        await self.release()


class RunStreamConsumer(CreateRunMixin, StreamConsumer):
    """POST /threads/{thread_id}/runs/stream and POST /runs/stream."""

    async def respond(self, body):
        run = await self.create(body, subscribe=True)
        if self.stateless:
            headers = [("location", f"/runs/{run.run_id}/stream"), ("content-location", f"/runs/{run.run_id}")]
        else:
            headers = _run_headers(run.thread_id, run.run_id, "stream")
        await self.start(extra=headers)
        # Subscribed before the run existed: every event is announced to us, no initial read needed.
        await follow.follow_run(self, run_id=run.run_id, is_over=selectors.run_is_over, after=0, subscribed_new=True)
        await self.release()


class RunWaitConsumer(CreateRunMixin, StreamConsumer):
    """POST /threads/{thread_id}/runs/wait and POST /runs/wait: the final values as JSON."""

    async def respond(self, body):
        run = await self.create(body)
        await self.start(content_type=b"application/json", extra=_run_headers(run.thread_id, run.run_id, "join"))
        await follow.wait_run(self, run_id=run.run_id, is_over=selectors.run_is_over)
        result = await db(selectors.run_output)(run_id=run.run_id)
        await self.release()
        await self.end(serde.dumps(result[1] if result else None))


class JoinRunStreamConsumer(StreamConsumer):
    """GET /threads/{thread_id}/runs/{run_id}/stream (and /runs/{run_id}/stream, the stateless
    stream's Location): replay after Last-Event-ID, then live."""

    async def respond(self, body):
        thread_id = path_uuid(self, "thread_id", "thread")
        run_id = path_uuid(self, "run_id", "run")
        query = self.query()
        after = parse_last_event_id(self.header("last-event-id"))
        modes = parse_stream_modes(query.get("stream_mode", []), allowed=STREAM_MODES)
        self.cancel_on_disconnect = (query.get("cancel_on_disconnect") or ["false"])[-1].lower() in ("1", "true", "yes")
        filters = await access.aauthorize(self.api_request, "threads", "read",
                                          access.value_of(thread_id=thread_id, run_id=run_id))
        self.filters = filters
        # Subscribed before the read: whatever is stored after it comes through the layer.
        await self.subscribe(notify.run_group(run_id))
        run = await joins.attach(thread_id=thread_id, run_id=run_id, filters=filters)
        if run is None:
            raise NotFound("Run not found")
        if after is None:
            # The first client to attach to a background run gets it from its first event (its
            # metadata frame included), however soon it started; later joiners get what comes next
            # (a finished run: nothing, at once), as on the reference.
            after = 0 if run["first"] else run["last_seq"]
        self.run_id = run_id
        await self.start(extra=_run_headers(run["thread_id"], run_id, "stream"))
        if run["over"] and after >= run["last_seq"]:
            return
        await follow.follow_run(self, run_id=run_id, is_over=selectors.run_is_over, after=after, modes=modes or None,
                                subscribed_new=after >= run["last_seq"])

    async def on_disconnect(self):
        if getattr(self, "cancel_on_disconnect", False) and getattr(self, "run_id", None):
            await db(services.cancel_runs)(run_ids=[self.run_id], action="interrupt", filters=self.filters)


class JoinRunConsumer(StreamConsumer):
    """GET /threads/{thread_id}/runs/{run_id}/join: wait, then the run's final values."""

    async def respond(self, body):
        thread_id = path_uuid(self, "thread_id", "thread")
        run_id = path_uuid(self, "run_id", "run")
        filters = await access.aauthorize(self.api_request, "threads", "read",
                                          access.value_of(thread_id=thread_id, run_id=run_id))
        run = await db(selectors.run_for_stream)(thread_id=thread_id, run_id=run_id, filters=filters)
        if run is None:
            raise NotFound("Run not found")
        await db(services.observe_run)(run_id=run_id)
        await self.start(content_type=b"application/json")
        await follow.wait_run(self, run_id=run_id, is_over=selectors.run_is_over)
        result = await db(selectors.run_output)(run_id=run_id)
        await self.end(serde.dumps(result[1] if result else None))
