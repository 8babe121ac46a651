"""What an executor gets when it claims a run (``runs.lifecycle.claim_runs``): ``ClaimedRun``."""
from dataclasses import dataclass
from uuid import UUID

import orjson

from runs.models import Run


@dataclass
class ClaimedRun:
    run_id: UUID
    thread_id: UUID
    assistant_id: UUID
    graph_id: str
    kwargs: dict
    metadata: dict
    attempt: int
    assistant_config: dict
    assistant_context: dict
    assistant_metadata: dict
    start_seq: int  # the run's last stored event (a retry continues its event log)
    temporary: bool  # a stateless run: its thread is settled when it ends
    cancel_action: str = ""
    # The run's metadata frame, stored with the claim: [(seq, thread_seq, event, data)].
    metadata_rows: list | None = None


def claimed_from_created(*, run: Run, assistant) -> ClaimedRun:
    """The ClaimedRun of a run just created by ``create_run`` (its first attempt), without a query.

    kwargs and metadata are copied through JSON, as a read from the database would give them."""
    return ClaimedRun(
        run_id=run.run_id, thread_id=run.thread_id, assistant_id=run.assistant_id, graph_id=run.graph_id,
        kwargs=orjson.loads(orjson.dumps(run.kwargs)), metadata=orjson.loads(orjson.dumps(run.metadata)),
        attempt=1, assistant_config=assistant.config, assistant_context=assistant.context,
        assistant_metadata=assistant.metadata, start_seq=0, temporary=run.thread.temporary,
    )


def load_claimed(run_id: UUID) -> ClaimedRun | None:
    """The ClaimedRun of a run as stored (read after its claim)."""
    from assistants.models import Assistant
    from streaming.models import Event

    run = Run.objects.select_related("thread").filter(pk=run_id).first()
    if run is None:
        return None
    assistant = Assistant.objects.filter(pk=run.assistant_id).first()
    last_seq = 0
    if run.attempt > 1:  # a retry continues the run's event log
        last_seq = Event.objects.filter(run_id=run_id).order_by("-seq").values_list("seq", flat=True).first() or 0
    return ClaimedRun(
        run_id=run.run_id, thread_id=run.thread_id, assistant_id=run.assistant_id, graph_id=run.graph_id,
        kwargs=run.kwargs, metadata=run.metadata, attempt=run.attempt,
        assistant_config=assistant.config if assistant else {},
        assistant_context=assistant.context if assistant else {},
        assistant_metadata=assistant.metadata if assistant else {},
        start_seq=last_seq, temporary=run.thread.temporary, cancel_action=run.cancel_action,
    )
