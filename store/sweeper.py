"""Start the LangGraph store's own TTL sweeper (``store.ttl`` in langgraph.json) with the executor."""
import logging

from agentserver import lgconfig, persistence, runtime

logger = logging.getLogger(__name__)


async def _start():
    store = await persistence.get_store()
    ttl = lgconfig.store_ttl()
    if ttl and hasattr(store, "start_ttl_sweeper"):
        await store.start_ttl_sweeper(ttl.get("sweep_interval_minutes"))
        logger.info("store TTL sweeper started")


def start_on_executor(sender=None, **kwargs):
    """Receiver of ``executor_started``."""
    runtime.call(_start())
