"""POST the finished run to the run's webhook URL; failures are logged, never raised."""
import logging

import httpx
from asgiref.sync import sync_to_async

from agentserver import serde
from agentserver.conf import agent_settings

logger = logging.getLogger(__name__)


def _run_payload(run_id):
    from runs.models import Run
    from runs.serializers import RunSerializer

    run = Run.objects.filter(pk=run_id).first()
    if run is None:
        return None
    data = RunSerializer(run).data
    data["values"] = run.output
    return data


async def deliver(run):
    url = run.kwargs.get("webhook")
    try:
        payload = await sync_to_async(_run_payload, thread_sensitive=False)(run.run_id)
        if payload is None:
            payload = {"run_id": str(run.run_id), "thread_id": str(run.thread_id), "status": "deleted"}
        async with httpx.AsyncClient(timeout=agent_settings.WEBHOOK_TIMEOUT_SECONDS) as client:
            response = await client.post(url, content=serde.dumps(payload),
                                         headers={"content-type": "application/json"})
            response.raise_for_status()
    except Exception as exc:  # noqa: BLE001
        logger.warning("webhook %s for run %s failed: %r", url, run.run_id, exc)
