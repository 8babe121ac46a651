"""Cancelling runs from the operators' tools (admin and ``manage.py cancel_runs``), with a report.

The cancel itself is ``runs.services.cancel_runs``, the function the API uses: pending runs end at
once, running ones are flagged in the database and told on the channel layer, and their executor
stops them. This module only adds an honest per-run account of what happened.
"""
from dataclasses import dataclass, field

from runs import services
from runs.models import ACTIVE_STATUSES, CancelAction, Run

ACTIONS = tuple(CancelAction.values)


@dataclass
class CancelReport:
    action: str
    cancelled: list = field(default_factory=list)  # [(run_id, status just after the cancel, None: deleted)]
    finished: list = field(default_factory=list)  # [(run_id, final status)]: nothing to cancel
    missing: list = field(default_factory=list)  # [run_id]: no such run

    @property
    def cancelled_ids(self):
        return [run_id for run_id, _ in self.cancelled]

    def lines(self):
        """One human-readable line per run."""
        out = []
        for run_id, now in self.cancelled:
            if now in ACTIVE_STATUSES:
                out.append(f"{run_id}: cancel requested ({self.action}); its executor is stopping it")
            elif now is None:
                out.append(f"{run_id}: cancelled (rollback): the run and its events were deleted")
            else:
                out.append(f"{run_id}: cancelled ({self.action}): now {now}")
        out += [f"{run_id}: already finished ({status}), nothing to cancel" for run_id, status in self.finished]
        out += [f"{run_id}: not found" for run_id in self.missing]
        return out

    def summary(self):
        parts = [f"{len(self.cancelled)} cancelled ({self.action})"]
        if self.finished:
            parts.append(f"{len(self.finished)} already finished")
        if self.missing:
            parts.append(f"{len(self.missing)} not found")
        return ", ".join(parts)


def _statuses(run_ids):
    return dict(Run.objects.filter(run_id__in=list(run_ids)).values_list("run_id", "status"))


def cancel_with_report(*, run_ids, action=CancelAction.INTERRUPT):
    """Cancel the given runs through ``services.cancel_runs`` and say what happened to each."""
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
    run_ids = list(dict.fromkeys(run_ids))
    before = _statuses(run_ids)
    cancelled = set(services.cancel_runs(run_ids=[r for r in run_ids if r in before], action=action)) if before else set()
    after = _statuses(run_ids)
    report = CancelReport(action=action)
    for run_id in run_ids:
        if run_id in cancelled:
            report.cancelled.append((run_id, after.get(run_id)))
        elif run_id in before:
            report.finished.append((run_id, after.get(run_id, before[run_id])))
        else:
            report.missing.append(run_id)
    return report


def cancel_matching(*, thread_id=None, status=None, action=CancelAction.INTERRUPT):
    """Cancel every active run of a thread, or every active run with ``status`` (pending|running|all)."""
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
    if (thread_id is None) == (status is None):
        raise ValueError("give either thread_id or status")
    if status is not None:
        ids = services.cancel_runs(status=status, action=action)
    else:
        ids = services.cancel_runs(thread_id=thread_id, action=action)
    after = _statuses(ids)
    report = CancelReport(action=action)
    report.cancelled = [(run_id, after.get(run_id)) for run_id in ids]
    return report
