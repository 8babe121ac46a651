"""manage.py cancel_runs: cancel runs by id, by thread or by status, through runs.services."""
from django.core.management.base import BaseCommand, CommandError

from agentserver.cli import parse_id
from runs.admin_actions import ACTIONS, cancel_matching, cancel_with_report
from runs.models import ACTIVE_STATUSES, CANCEL_ALL, CANCEL_STATUSES, CancelAction, Run
from runs.selectors import wait_until_finished


class Command(BaseCommand):
    help = (
        "Cancel runs, exactly as the API's cancel does: pending runs end at once, running ones are "
        "stopped by their executor (wherever it runs). Choose runs with --run (repeatable), all active "
        "runs of a --thread, or every active run with --status pending|running|all. --action interrupt "
        "(default) keeps what the run wrote; rollback deletes the run, its events and its checkpoints. "
        "Prints one line per run (cancelled, already finished, not found); exits non-zero if a --run "
        "id does not exist."
    )

    def add_arguments(self, parser):
        parser.add_argument("--run", action="append", default=[], metavar="ID", help="a run id (repeatable)")
        parser.add_argument("--thread", metavar="ID", help="cancel the active runs of this thread")
        parser.add_argument("--status", choices=CANCEL_STATUSES,
                            help="cancel every active run with this status")
        parser.add_argument("--action", choices=ACTIONS, default=CancelAction.INTERRUPT.value, help="interrupt (default) or rollback")
        parser.add_argument("--wait", action="store_true", help="wait until the cancelled runs have stopped")
        parser.add_argument("--wait-timeout", type=float, default=30.0, help="seconds --wait waits (default 30)")
        parser.add_argument("--dry-run", action="store_true", help="list the runs that would be cancelled")

    def handle(self, *args, **options):
        run_ids = [parse_id(value, option="--run") for value in options["run"]]
        thread_id = parse_id(options["thread"], option="--thread") if options["thread"] else None
        status = options["status"]
        chosen = sum(bool(x) for x in (run_ids, thread_id, status))
        if chosen != 1:
            raise CommandError("choose the runs with exactly one of --run, --thread or --status")
        if options["dry_run"]:
            return self._dry_run(run_ids, thread_id, status)
        if run_ids:
            report = cancel_with_report(run_ids=run_ids, action=options["action"])
        else:
            report = cancel_matching(thread_id=thread_id, status=status, action=options["action"])
        for line in report.lines():
            self.stdout.write(line)
        if not report.cancelled and not run_ids:
            self.stdout.write("no active runs matched: nothing to cancel")
        if options["wait"] and report.cancelled_ids:
            self._wait(report.cancelled_ids, options["wait_timeout"])
        if report.missing:
            raise CommandError(f"{len(report.missing)} run(s) not found: {', '.join(map(str, report.missing))}")

    def _dry_run(self, run_ids, thread_id, status):
        qs = Run.objects.active().order_by("created_at")
        if run_ids:
            qs = qs.filter(run_id__in=run_ids)
        elif thread_id:
            qs = qs.filter(thread_id=thread_id)
        elif status != CANCEL_ALL:
            qs = qs.filter(status=status)
        rows = list(qs.values_list("run_id", "status", "thread_id"))
        for run_id, run_status, run_thread in rows:
            self.stdout.write(f"{run_id}: would be cancelled ({run_status}, thread {run_thread})")
        self.stdout.write(f"{len(rows)} run(s) would be cancelled (dry run: nothing changed)")

    def _wait(self, run_ids, timeout):
        final = wait_until_finished(run_ids=run_ids, timeout=timeout)
        still = [run_id for run_id, status in final.items() if status in ACTIVE_STATUSES]
        for run_id, status in final.items():
            self.stdout.write(f"{run_id}: {status or 'deleted (rolled back)'}")
        if still:
            raise CommandError(f"{len(still)} run(s) still active after {timeout}s")
