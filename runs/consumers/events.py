"""POST /threads/{thread_id}/stream/events: the protocol v2 event stream of a thread."""
from rest_framework import serializers

from agentserver import serde
from agentserver.api import access, sse
from agentserver.api.consumers import StreamConsumer
from agentserver.api.exceptions import NotFound, ServiceError
from agentserver.api.params import path_uuid
from agentserver.db import db
from runs import protocol_v2
from runs import services as run_services
from streaming import follow, selectors
from threads.selectors import thread_visible


class EventStreamRequest(serializers.Serializer):
    channels = serializers.ListField(child=serializers.ChoiceField(choices=protocol_v2.CHANNELS), required=False)
    namespaces = serializers.ListField(child=serializers.ListField(child=serializers.CharField()),
                                       required=False, allow_null=True)
    depth = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    since = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class BadRequest(ServiceError):
    status_code = 400


class ThreadEventsConsumer(StreamConsumer):
    async def respond(self, body):
        thread_id = path_uuid(self, "thread_id", "thread")
        raw = self.parse_json(body)
        if not isinstance(raw.get("channels"), list) or not raw["channels"]:
            raise BadRequest("channels is required and must be a non-empty array")
        request = self.validate(EventStreamRequest, raw)
        filters = await access.aauthorize(self.api_request, "threads", "read", {"thread_id": thread_id})
        if filters and not await db(thread_visible)(thread_id=thread_id, filters=filters):
            raise NotFound(f"Thread with ID {thread_id} not found")
        head = await db(selectors.log_head)(thread_id=thread_id)
        if head is None:
            raise NotFound(f"Thread with ID {thread_id} not found")
        since = request.get("since")
        if since is None:  # from the start of the thread's current run, if one is active
            start = await db(run_services.current_run_start)(thread_id=thread_id)
            after = head if start is None else start - 1
        else:
            after = since // protocol_v2.SUBSEQ
        self.since = since if since is not None else 0
        self.filters = {"channels": set(request["channels"]), "namespaces": request.get("namespaces"),
                        "depth": request.get("depth")}
        self.translator = protocol_v2.Translator()
        await self.start()
        await follow.follow_thread(self, thread_id=thread_id, after=after, emit=self.emit)

    async def emit(self, row):
        thread_seq, seq, event, data = row.thread_seq, row.seq, row.event, row.data
        translated = await db(self.translator.translate)(seq, event, data) if event == "metadata" \
            else self.translator.translate(seq, event, data)
        frames = []
        for index, (method, namespace, payload) in enumerate(translated[: protocol_v2.SUBSEQ]):
            v2_seq = thread_seq * protocol_v2.SUBSEQ + index
            if v2_seq <= self.since or not protocol_v2.wanted(method, namespace, **self.filters):
                continue
            envelope = protocol_v2.envelope(v2_seq, thread_seq, index, method, namespace, payload)
            frames.append(sse.frame(method, serde.dumps(envelope), v2_seq))
        return b"".join(frames)
