"""Deleting old data (``manage.py purge``): finished runs, temporary threads, orphaned events.

Every batch is one transaction, so a run never loses its events without being deleted itself (or
the other way round); an error stops the purge between batches with everything consistent.
Temporary threads go through ``threads.services.prune_threads`` (rows, events and checkpoints);
events through ``streaming.services.delete_events``.
"""
from dataclasses import dataclass, fields

from django.db import transaction
from django.db.models import Count, Max, Q

from runs.models import Run
from streaming.models import Event
from streaming.services import delete_events
from threads.models import Thread

BATCH_SIZE = 500


@dataclass
class PurgeReport:
    temporary_threads: int = 0
    thread_runs: int = 0
    thread_events: int = 0
    runs: int = 0
    run_events: int = 0
    orphaned_events: int = 0

    def as_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def summary(self, *, dry_run):
        verb = "would delete" if dry_run else "deleted"
        return (
            f"{verb} {self.runs} finished run(s) with {self.run_events} event(s); "
            f"{self.temporary_threads} temporary thread(s) with {self.thread_runs} run(s) and "
            f"{self.thread_events} event(s); {self.orphaned_events} orphaned event(s)"
        )


def _batches(ids, size):
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def old_temporary_threads(cutoff):
    """Temporary (stateless) threads untouched since ``cutoff`` with no run in flight."""
    busy = Run.objects.active().values("thread_id")
    return Thread.objects.filter(temporary=True, updated_at__lt=cutoff).exclude(pk__in=busy)


def old_finished_runs(cutoff):
    ended_before = Q(ended_at__lt=cutoff) | Q(ended_at__isnull=True, updated_at__lt=cutoff)
    return Run.objects.finished().filter(ended_before)


def orphaned_event_owners(cutoff):
    """(run ids, thread ids) whose events outlived their run/thread and are all older than ``cutoff``."""
    runs = (Event.objects.filter(run_id__isnull=False).exclude(run_id__in=Run.objects.values("run_id"))
            .values("run_id").annotate(last=Max("created_at")).filter(last__lt=cutoff))
    threads = (Event.objects.exclude(thread_id__in=Thread.objects.values("thread_id"))
               .values("thread_id").annotate(last=Max("created_at")).filter(last__lt=cutoff))
    return [row["run_id"] for row in runs], [row["thread_id"] for row in threads]


def _purge_threads(report, thread_ids, *, dry_run, batch_size):
    from threads.services import prune_threads

    for batch in _batches(thread_ids, batch_size):
        report.thread_runs += Run.objects.filter(thread_id__in=batch).count()
        report.thread_events += Event.objects.filter(thread_id__in=batch).count()
        report.temporary_threads += len(batch)
        if not dry_run:
            prune_threads(thread_ids=batch, strategy="delete")


def _purge_runs(report, run_ids, *, dry_run, batch_size):
    for batch in _batches(run_ids, batch_size):
        if dry_run:
            report.runs += len(batch)
            report.run_events += Event.objects.filter(run_id__in=batch).count()
            continue
        with transaction.atomic():
            deleted = list(Run.objects.finished().filter(run_id__in=batch)
                           .select_for_update().values_list("run_id", flat=True))
            Run.objects.filter(run_id__in=deleted).delete()
            report.run_events += delete_events(run_ids=deleted)
        report.runs += len(deleted)


def _purge_orphans(report, cutoff, *, dry_run, batch_size):
    run_ids, thread_ids = orphaned_event_owners(cutoff)
    for batch in _batches(run_ids, batch_size):
        if dry_run:
            report.orphaned_events += Event.objects.filter(run_id__in=batch).count()
        else:
            report.orphaned_events += delete_events(run_ids=batch)
    counted = set(run_ids)
    for thread_id in thread_ids:
        if dry_run:  # events of the gone runs counted above are not counted twice
            per_run = Event.objects.filter(thread_id=thread_id).values_list("run_id").annotate(n=Count("id"))
            report.orphaned_events += sum(n for run_id, n in per_run if run_id not in counted)
        else:
            report.orphaned_events += delete_events(thread_id=thread_id)


def purge(*, cutoff, dry_run=False, batch_size=BATCH_SIZE):
    """Delete (or, with ``dry_run``, count) what is older than ``cutoff``. Returns a PurgeReport."""
    report = PurgeReport()
    thread_ids = list(old_temporary_threads(cutoff).values_list("pk", flat=True))
    _purge_threads(report, thread_ids, dry_run=dry_run, batch_size=batch_size)
    runs = old_finished_runs(cutoff).exclude(thread_id__in=old_temporary_threads(cutoff).values("pk"))
    _purge_runs(report, list(runs.values_list("run_id", flat=True)), dry_run=dry_run, batch_size=batch_size)
    _purge_orphans(report, cutoff, dry_run=dry_run, batch_size=batch_size)
    return report
