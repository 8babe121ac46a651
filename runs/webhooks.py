"""POST the finished run to the run's webhook URL; failures are logged, never raised.

The URL is checked against the webhook policy (``runs.webhook_policy``) again right before each
attempt; network errors, 429 and 5xx answers are retried with exponential backoff. Nothing here can
change the run: it has finished before delivery starts."""
import asyncio
import logging

import httpx
from asgiref.sync import sync_to_async
from django.utils import timezone

from agentserver import serde
from agentserver.conf import agent_settings
from runs import webhook_policy

logger = logging.getLogger(__name__)


def _run_payload(run_id):
    """The run as the reference posts it: the run object, its timing, its final values and error."""
    from runs.models import Run
    from runs.serializers import RunSerializer

    run = Run.objects.filter(pk=run_id).first()
    if run is None:
        return None
    data = RunSerializer(run).data
    data.update(run_started_at=run.started_at, run_ended_at=run.ended_at, webhook_sent_at=timezone.now(),
                values=run.output, error=run.error)
    fields = webhook_policy.payload_fields()
    return {key: value for key, value in data.items() if key in fields or key == "langsmith_session_name"}


def _client():
    return httpx.AsyncClient(timeout=agent_settings.WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False)


def _retryable(response):
    return response.status_code == 429 or response.status_code >= 500


async def _post(url, body, headers):
    attempts = max(1, int(agent_settings.WEBHOOK_MAX_ATTEMPTS))
    for attempt in range(1, attempts + 1):
        try:
            target = await sync_to_async(webhook_policy.check_delivery, thread_sensitive=False)(url)
            async with _client() as client:
                response = await client.post(target.url, content=body, headers={**headers, **target.headers},
                                             extensions=target.extensions)
            if not _retryable(response) or attempt == attempts:
                response.raise_for_status()
                return response
        except httpx.HTTPStatusError:
            raise
        except (httpx.HTTPError, webhook_policy.Unresolvable):
            if attempt == attempts:
                raise
        await asyncio.sleep(agent_settings.WEBHOOK_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))
    return None


async def deliver(run):
    url = run.kwargs.get("webhook")
    try:
        payload = await sync_to_async(_run_payload, thread_sensitive=False)(run.run_id)
        if payload is None:
            payload = {"run_id": str(run.run_id), "thread_id": str(run.thread_id), "status": "deleted"}
        headers = {**webhook_policy.headers(), "content-type": "application/json"}
        await _post(url, serde.dumps(payload), headers)
    except Exception as exc:  # noqa: BLE001
        logger.warning("webhook %s for run %s failed: %r", url, run.run_id, exc)
