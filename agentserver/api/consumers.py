"""A Channels consumer for long-lived HTTP responses (SSE streams, /wait and /join).

The response is produced by a task while the consumer keeps reading its ASGI ``receive``: an
``http.disconnect`` is noticed at once (the task is cancelled and ``on_disconnect`` runs). The task
reads channel-layer wake-ups from the consumer's channel itself (``next_message``). An idle stream is
therefore two tasks and one queue; no per-wait task or timer task.

Every request first passes the request pipeline (``agentserver.api.pipeline``), exactly as the JSON
views do through ``ApiPipelineMiddleware``: admission (size limit, policies: authentication) before
the body is read, the one JSON parser, the one error rendering and the CORS headers.
"""
import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.consumer import AsyncConsumer
from channels.exceptions import StopConsumer
from channels.layers import get_channel_layer

from agentserver import serde
from agentserver.api import pipeline, sse
from agentserver.api.validation import validated
from agentserver.conf import agent_settings

logger = logging.getLogger(__name__)


class StreamConsumer(AsyncConsumer):
    # Responses of this process still open (the operator console's "active streams").
    open_count = 0
    # Every message this stream waits for is announced by this process (a run it created already
    # claimed by this process's executor): the in-process half of the layer carries them all, so a
    # late group join of the other processes (``stream.resync``) is no gap and next_message skips it.
    announced_here = False

    async def __call__(self, scope, receive, send):
        self.scope = scope
        self.base_send = send
        self.headers_sent = False
        self.sse = True
        self.last_write = 0.0
        self.ended = False
        self.disconnected = False
        self._body = []
        self._body_size = 0
        self._groups = []
        self.api_request = pipeline.ApiRequest.from_scope(scope)
        self._response = None
        self._done = asyncio.get_running_loop().create_future()
        self.layer_ok = True
        self.channel_layer = get_channel_layer()
        self.channel_name = await self.channel_layer.new_channel()
        dispatcher = None
        StreamConsumer.open_count += 1
        try:
            if not await self._admit():
                return
            dispatcher = asyncio.get_running_loop().create_task(self._dispatch_all(receive))
            await asyncio.wait({dispatcher, self._done}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            if self._response is not None and not self._response.done():
                self._response.cancel()
                await asyncio.gather(self._response, return_exceptions=True)
            # The server is stopping (daphne cancels every application on shutdown): a response
            # under way must not end like a normal end of run.
            await self._cut_short({"error": "ServerShutdown",
                                   "message": "the server is shutting down; reconnect (with Last-Event-ID "
                                              "to resume a stream)"})
            raise
        finally:
            StreamConsumer.open_count -= 1
            await self._cleanup(dispatcher)

    async def _admit(self):
        """The pipeline's admission step; a refused request is answered here, its body unread."""
        try:
            if pipeline.policies():  # policies may do I/O (a database read): not on the event loop
                await sync_to_async(pipeline.admit, thread_sensitive=False)(self.api_request)
            else:
                pipeline.admit(self.api_request)
        except Exception as exc:  # noqa: BLE001 - rendered, or logged as a 500
            await self.send_error(exc)
            return False
        return True

    async def _dispatch_all(self, receive):
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def _cleanup(self, dispatcher):
        for task in (dispatcher, self._response):
            if task is not None and not task.done():
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):  # noqa: BLE001
                    pass
        for group in self._groups:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # noqa: BLE001
                pass
        # End the channel's subscriptions (on Redis too, in scaled mode) before the consumer ends.
        adiscard = getattr(self.channel_layer, "adiscard_channel", None)
        discard = getattr(self.channel_layer, "discard_channel", None)
        try:
            if adiscard is not None:
                await adiscard(self.channel_name)
            elif discard is not None:
                discard(self.channel_name)
        except Exception:  # noqa: BLE001
            logger.warning("discarding channel %s failed", self.channel_name, exc_info=True)

    async def dispatch(self, message):
        # Unlike AsyncConsumer.dispatch, no DB connection housekeeping per message: wake-ups are hot.
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is not None:
            await handler(message)

    # --- ASGI and channel-layer messages ---------------------------------------------------
    async def http_request(self, message):
        chunk = message.get("body", b"")
        self._body_size += len(chunk)
        if self._response is not None:
            return
        if self._body_size > agent_settings.MAX_BODY_BYTES:
            self._body = []
            self._response = asyncio.get_running_loop().create_task(self._refuse(pipeline.too_large()))
            return
        self._body.append(chunk)
        if not message.get("more_body"):
            self._response = asyncio.get_running_loop().create_task(self._respond(b"".join(self._body)))

    async def http_disconnect(self, message):
        self.disconnected = True
        if self._response is not None and not self._response.done():
            self._response.cancel()
        try:
            await asyncio.shield(self.on_disconnect())
        except Exception:  # noqa: BLE001
            logger.exception("on_disconnect failed")
        if not self._done.done():
            self._done.set_result(None)
        raise StopConsumer()

    # --- for subclasses ----------------------------------------------------------------------
    async def respond(self, body):
        raise NotImplementedError

    async def on_disconnect(self):
        """The client went away before the response ended."""

    async def subscribe(self, group):
        if group in self._groups:
            return
        self._groups.append(group)
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception as exc:  # noqa: BLE001
            logger.warning("channel layer unavailable (%s); this stream polls the database", exc)
            self.layer_ok = False

    async def next_message(self, timeout):
        """The next channel-layer message for this stream (``stream.events``, ``stream.end``,
        ``stream.resync``: the channel joined a group late, re-read), or None after ``timeout``
        (sooner while the layer is down: the caller then polls the database)."""
        if not self.layer_ok:
            timeout = min(timeout, 0.25)
            await self._resubscribe()
        try:
            async with asyncio.timeout(timeout):
                message = await self.channel_layer.receive(self.channel_name)
                while message["type"] == "stream.resync" and self.announced_here:
                    message = await self.channel_layer.receive(self.channel_name)
        except TimeoutError:
            return None
        except Exception:  # noqa: BLE001 - the layer is down: the caller polls, not too often
            self.layer_ok = False
            await asyncio.sleep(min(timeout, 0.25))
            return None
        self.layer_ok = True
        return message

    async def _resubscribe(self):
        try:
            for group in self._groups:
                await self.channel_layer.group_add(group, self.channel_name)
            self.layer_ok = True
        except Exception:  # noqa: BLE001
            pass

    async def idle(self):
        """Nothing arrived for a while: send a heartbeat comment if one is due."""
        loop = asyncio.get_running_loop()
        if loop.time() - self.last_write >= self.heartbeat:
            await self.write(sse.HEARTBEAT if self.sse else b"\n")

    def header(self, name):
        return self.api_request.header(name)

    def query(self):
        return self.api_request.query_params

    async def start(self, *, status=200, content_type=None, extra=()):
        self.sse = content_type is None
        self.last_write = asyncio.get_running_loop().time()
        headers = list(sse.SSE_HEADERS) if content_type is None else [(b"content-type", content_type)]
        headers += [(k.encode() if isinstance(k, str) else k, v.encode() if isinstance(v, str) else v) for k, v in extra]
        headers += [(name.encode(), value.encode()) for name, value in pipeline.cors_headers(self.api_request)]
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        self.headers_sent = True
        # Send the headers now (ASGI servers wait for the first body message).
        await self.send({"type": "http.response.body", "body": b"", "more_body": True})

    async def write(self, chunk):
        self.last_write = asyncio.get_running_loop().time()
        await self.send({"type": "http.response.body", "body": chunk, "more_body": True})

    async def end(self, chunk=b""):
        if not self.ended:
            self.ended = True
            await self.send({"type": "http.response.body", "body": chunk, "more_body": False})

    async def send_json(self, status, data, extra=()):
        await self.start(status=status, content_type=b"application/json", extra=extra)
        await self.end(serde.dumps(data))

    def parse_json(self, body):
        return pipeline.parse_json(body)

    def validate(self, serializer_class, data):
        return validated(serializer_class, data)

    async def send_error(self, exc):
        """Answer ``exc`` as the JSON views do (pipeline.render_error); anything else is a 500.
        Once the response has started, the failure is its last frame instead (``_cut_short``)."""
        rendered = pipeline.render_error(exc)
        if rendered is None:
            logger.error("stream failed", exc_info=exc)
            rendered = 500, {"detail": "Internal Server Error"}, {}
        status, body, headers = rendered
        if not self.headers_sent:
            await self.send_json(status, body, extra=list(headers.items()))
        else:
            await self._cut_short({"error": type(exc).__name__, "message": str(body.get("detail", exc))})

    async def _cut_short(self, error):
        """End a response that has started but is not complete with ``error``: an ``error`` event on
        an SSE stream, ``{"__error__": ...}`` on a JSON one (/wait, /join), so that a client can
        tell it from the run's end (and resume a stream after its last event id)."""
        if not self.headers_sent or self.ended or self.disconnected:
            return
        chunk = sse.frame("error", serde.dumps(error)) if self.sse else serde.dumps({"__error__": error})
        try:
            await self.end(chunk)
        except Exception:  # noqa: BLE001 - the connection is going away too
            pass

    async def _refuse(self, exc):
        await self.send_error(exc)
        if not self._done.done():
            self._done.set_result(None)

    async def _respond(self, body):
        cancelled = False
        try:
            await self.respond(body)
        except asyncio.CancelledError:
            cancelled = True  # the consumer ends the response (``_cut_short``), not as complete
            raise
        except Exception as exc:  # noqa: BLE001 - rendered like the JSON views' errors
            await self.send_error(exc)
        finally:
            if not self.disconnected and not cancelled:
                # (after a disconnect, http_disconnect finishes the consumer once on_disconnect ran)
                try:
                    await self.end()
                except Exception:  # noqa: BLE001
                    pass
                if not self._done.done():
                    self._done.set_result(None)

    @property
    def heartbeat(self):
        return agent_settings.HEARTBEAT_SECONDS
