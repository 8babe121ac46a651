"""Reads of runs."""
from agentserver.api.exceptions import NotFound
from runs.models import Run
from threads.models import Thread


def require_thread(*, thread_id):
    if not Thread.objects.filter(pk=thread_id).exists():
        raise NotFound(f"Thread with ID {thread_id} not found")


def get_run(*, thread_id, run_id):
    run = Run.objects.filter(thread_id=thread_id, run_id=run_id).first()
    if run is None:
        raise NotFound("Not Found")
    return run


def list_runs(*, thread_id, status=None, limit=10, offset=0):
    require_thread(thread_id=thread_id)
    qs = Run.objects.for_thread(thread_id).order_by("-created_at")
    if status:
        qs = qs.filter(status=status)
    return list(qs[offset : offset + limit])


def get_run_by_id(*, run_id):
    run = Run.objects.filter(run_id=run_id).first()
    if run is None:
        raise NotFound("Not Found")
    return run
