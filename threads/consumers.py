"""GET /threads/{thread_id}/stream: every frame of every run on the thread, open until the client leaves."""
from agentserver.api import access
from agentserver.api.consumers import StreamConsumer
from agentserver.api.exceptions import NotFound
from agentserver.api.params import parse_last_event_id, parse_stream_modes, path_uuid
from agentserver.db import db
from streaming import follow, selectors
from threads.selectors import thread_visible


class ThreadStreamConsumer(StreamConsumer):
    async def respond(self, body):
        thread_id = path_uuid(self, "thread_id", "thread")
        query = self.query()  # stream_mode is what langgraph_sdk sends, stream_modes the reference's docs
        raw = [*query.get("stream_modes", []), *query.get("stream_mode", [])]
        modes = parse_stream_modes(raw, allowed=follow.THREAD_MODES) or ["run_modes"]
        after = parse_last_event_id(self.header("last-event-id"))
        filters = await access.aauthorize(self.api_request, "threads", "read", {"thread_id": thread_id})
        if filters and not await db(thread_visible)(thread_id=thread_id, filters=filters):
            raise NotFound(f"Thread with ID {thread_id} not found")
        head = await db(selectors.log_head)(thread_id=thread_id)
        if head is None:
            raise NotFound(f"Thread with ID {thread_id} not found")
        await self.start()
        emit = follow.thread_stream_emitter(self, modes)
        await follow.follow_thread(self, thread_id=thread_id, after=head if after is None else after, emit=emit)
