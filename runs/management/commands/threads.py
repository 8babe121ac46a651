"""manage.py threads: list threads (filters, table or JSON) or show one thread with its state and runs."""
from django.core.management.base import BaseCommand, CommandError

from agentserver.api.exceptions import ServiceError
from agentserver.cli import compact, fmt_duration, fmt_time, parse_id, parse_json, pretty, table, to_json, truncate
from agentserver.ids import parse_uuid
from runs.models import Run
from threads import selectors
from threads.models import ThreadStatus
from threads.serializers import thread_json

SHOW_RUNS = 10


class Command(BaseCommand):
    help = (
        "Inspect threads. `threads` or `threads list` lists threads, most recently updated first "
        "(filters: --status, --metadata JSON, --limit); `threads show ID` shows one thread: status, "
        "metadata, state values, interrupts, error and its latest runs. --json prints JSON for scripts."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", default="list", help="list (default), or show ID (or just ID)")
        parser.add_argument("id", nargs="?", help="the thread id (for show)")
        parser.add_argument("--status", choices=ThreadStatus.values, help="only threads with this status")
        parser.add_argument("--metadata", help="only threads whose metadata contains this JSON object")
        parser.add_argument("--limit", type=int, default=20, help="at most this many threads (default 20)")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, action="list", id=None, **options):
        if action not in ("list", "show"):
            if id is not None or parse_uuid(action) is None:
                raise CommandError(f"unknown action {action!r}: use `threads list` or `threads show ID`")
            action, id = "show", action
        if action == "show":
            if not id:
                raise CommandError("threads show needs a thread id: manage.py threads show ID")
            return self._show(parse_id(id, option="id"), options)
        if id:
            raise CommandError(f"unexpected argument {id!r}: use `threads show {id}` to see one thread")
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        return self._list(options)

    def _list(self, options):
        metadata = parse_json(options["metadata"], option="--metadata", want=dict)
        threads, total = selectors.search_threads(metadata=metadata, status=options["status"], limit=options["limit"])
        if options["json"]:
            self.stdout.write(to_json([thread_json(thread) for thread in threads]))
            return
        if not threads:
            self.stdout.write("no threads")
            return
        rows = [
            (thread.thread_id, thread.status, fmt_time(thread.updated_at), truncate(compact(thread.metadata), 60))
            for thread in threads
        ]
        self.stdout.write(table(("THREAD", "STATUS", "UPDATED", "METADATA"), rows))
        if total > len(threads):
            self.stdout.write(f"({len(threads)} of {total}; use --limit to see more)")

    def _show(self, thread_id, options):
        try:
            thread = selectors.get_thread(thread_id=thread_id)
        except ServiceError:
            raise CommandError(f"thread {thread_id} not found") from None
        runs = list(Run.objects.for_thread(thread_id).order_by("-created_at")[:SHOW_RUNS])
        if options["json"]:
            data = {**thread_json(thread), "temporary": thread.temporary,
                    "runs": [{"run_id": r.run_id, "status": r.status, "graph_id": r.graph_id,
                              "created_at": r.created_at} for r in runs]}
            self.stdout.write(to_json(data))
            return
        for name, value in (("thread", thread.thread_id), ("status", thread.status),
                            ("created", fmt_time(thread.created_at)), ("updated", fmt_time(thread.updated_at)),
                            ("temporary", thread.temporary), ("active run", thread.active_run_id or "-")):
            self.stdout.write(f"{name + ':':<12}{value}")
        for name, value in (("metadata", thread.metadata), ("values", thread.values),
                            ("interrupts", thread.interrupts), ("error", thread.error)):
            if value not in (None, {}):
                self.stdout.write(f"\n{name}:\n{pretty(value)}")
        self.stdout.write(f"\nlatest runs ({len(runs)}):" if runs else "\nno runs")
        if runs:
            self.stdout.write(table(("RUN", "STATUS", "GRAPH", "CREATED", "DURATION"), [
                (r.run_id, r.status, r.graph_id, fmt_time(r.created_at), fmt_duration(r.started_at, r.ended_at))
                for r in runs
            ]))
