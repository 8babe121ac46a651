"""Reads of runs."""
import time

from agentserver.api.exceptions import NotFound
from runs.models import FINISHED_STATUSES, Run
from threads.models import Thread


def require_thread(*, thread_id, filters=None):
    if not Thread.objects.visible(filters).filter(pk=thread_id).exists():
        raise NotFound(f"Thread with ID {thread_id} not found")


def get_run(*, thread_id, run_id, filters=None):
    run = Run.objects.visible(filters).filter(thread_id=thread_id, run_id=run_id).first()
    if run is None:
        raise NotFound("Not Found")
    return run


def list_runs(*, thread_id, status=None, limit=10, offset=0, filters=None):
    require_thread(thread_id=thread_id, filters=filters)
    qs = Run.objects.for_thread(thread_id).order_by("-created_at")
    if status:
        qs = qs.filter(status=status)
    return list(qs[offset : offset + limit])


def get_run_by_id(*, run_id, filters=None):
    run = Run.objects.visible(filters).filter(run_id=run_id).first()
    if run is None:
        raise NotFound("Not Found")
    return run


# --- for streams (called through agentserver.db.db) -------------------------------------------
def run_status(*, run_id):
    """The run's status, or None when the run does not exist (deleted counts as over)."""
    return Run.objects.filter(pk=run_id).values_list("status", flat=True).first()


def is_over(status):
    return status is None or status in FINISHED_STATUSES


def run_is_over(*, run_id):
    return is_over(run_status(run_id=run_id))


def run_for_stream(*, thread_id, run_id, filters=None):
    """The run (by id, and on that thread when ``thread_id`` is given), or None (also when the
    authorization ``filters`` hide it)."""
    qs = Run.objects.visible(filters).filter(pk=run_id)
    if thread_id is not None:
        qs = qs.filter(thread_id=thread_id)
    return qs.values("run_id", "thread_id", "status", "kwargs").first()


def run_output(*, run_id):
    return Run.objects.filter(pk=run_id).values_list("status", "output", flat=False).first()


def run_summary(*, run_id):
    """graph_id, status and output of a run (for protocol v2 lifecycle events), or None."""
    return Run.objects.filter(pk=run_id).values("graph_id", "status", "output", "error").first()


def wait_until_finished(*, run_ids, timeout, interval=0.05):
    """Block (sync code: views, services, commands, the admin) until none of ``run_ids`` is pending
    or running, or ``timeout`` seconds passed. Returns {run_id: status}, None for a deleted run;
    statuses still active mean the wait timed out. Async code waits on the channel layer instead
    (``streaming.follow.wait_run``)."""
    run_ids = list(run_ids)
    deadline = time.monotonic() + timeout
    while True:
        statuses = dict(Run.objects.filter(run_id__in=run_ids).values_list("run_id", "status"))
        final = {run_id: statuses.get(run_id) for run_id in run_ids}
        if all(is_over(status) for status in final.values()) or time.monotonic() >= deadline:
            return final
        time.sleep(interval)
