"""manage.py runs: list runs (filters, table or JSON) or show one run in detail."""
from django.core.management.base import BaseCommand, CommandError

from agentserver.cli import fmt_duration, fmt_time, format_event, parse_id, pretty, table, terminal_width, to_json
from agentserver.ids import parse_uuid
from runs.models import Run, RunStatus
from runs.serializers import RunSerializer
from runs.tailing import follow_run
from streaming import selectors as stream_selectors

STATUS_CHOICES = tuple(RunStatus.values) + ("active", "finished")


def run_json(run):
    """The run as the API returns it, plus what an operator needs (timing, worker, error)."""
    data = dict(RunSerializer(run).data)
    data.update(
        graph_id=run.graph_id, started_at=run.started_at, ended_at=run.ended_at, attempt=run.attempt,
        worker_id=run.worker_id, cancel_action=run.cancel_action, error=run.error,
    )
    return data


def _all_events(run_id):
    events = []
    follow_run(run_id=run_id, on_rows=lambda status, rows: events.extend(rows), follow=False)
    return events


class Command(BaseCommand):
    help = (
        "Inspect runs. `runs` or `runs list` lists runs newest first (filters: --status, --thread, "
        "--graph, --limit); `runs show ID` shows one run: status, timing, input, config, context, "
        "metadata, error and output (--events adds its stream events). --json prints JSON for scripts."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", default="list", help="list (default), or show ID (or just ID)")
        parser.add_argument("id", nargs="?", help="the run id (for show)")
        parser.add_argument("--status", choices=STATUS_CHOICES, help="only runs with this status")
        parser.add_argument("--thread", metavar="ID", help="only runs of this thread")
        parser.add_argument("--graph", help="only runs of this graph")
        parser.add_argument("--limit", type=int, default=20, help="at most this many runs (default 20)")
        parser.add_argument("--events", action="store_true", help="show: also print the run's events")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, action="list", id=None, **options):
        if action not in ("list", "show"):
            if id is not None or parse_uuid(action) is None:
                raise CommandError(f"unknown action {action!r}: use `runs list` or `runs show ID`")
            action, id = "show", action
        if action == "show":
            if not id:
                raise CommandError("runs show needs a run id: manage.py runs show ID")
            return self._show(parse_id(id, option="id"), options)
        if id:
            raise CommandError(f"unexpected argument {id!r}: use `runs show {id}` to see one run")
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        return self._list(options)

    def _filtered(self, options):
        qs = Run.objects.order_by("-created_at")
        status = options["status"]
        if status == "active":
            qs = qs.active()
        elif status == "finished":
            qs = qs.finished()
        elif status:
            qs = qs.filter(status=status)
        if options["thread"]:
            qs = qs.filter(thread_id=parse_id(options["thread"], option="--thread"))
        if options["graph"]:
            qs = qs.filter(graph_id=options["graph"])
        return qs

    def _list(self, options):
        runs = list(self._filtered(options)[: options["limit"]])
        if options["json"]:
            self.stdout.write(to_json([run_json(run) for run in runs]))
            return
        if not runs:
            self.stdout.write("no runs")
            return
        rows = [
            (run.run_id, run.status, run.graph_id, run.thread_id, fmt_time(run.created_at),
             fmt_duration(run.started_at, run.ended_at))
            for run in runs
        ]
        self.stdout.write(table(("RUN", "STATUS", "GRAPH", "THREAD", "CREATED", "DURATION"), rows))

    def _show(self, run_id, options):
        run = Run.objects.filter(pk=run_id).first()
        if run is None:
            raise CommandError(f"run {run_id} not found")
        events = _all_events(run_id) if options["events"] else None
        if options["json"]:
            data = {**run_json(run), "output": run.output}
            if events is not None:
                data["events"] = [{"id": seq, "event": event, "data": data_text} for seq, _thread_seq, event, data_text in events]
            self.stdout.write(to_json(data))
            return
        self._print_detail(run)
        if events is not None:
            width = max(terminal_width() - 10, 60)
            self.stdout.write(f"\nevents ({len(events)}):")
            for seq, _thread_seq, event, data_text in events:
                self.stdout.write("  " + format_event(seq, event, data_text, width=width))

    def _print_detail(self, run):
        fields = [
            ("run", run.run_id), ("status", run.status), ("graph", run.graph_id), ("assistant", run.assistant_id),
            ("thread", run.thread_id), ("created", fmt_time(run.created_at)), ("started", fmt_time(run.started_at)),
            ("ended", fmt_time(run.ended_at)), ("duration", fmt_duration(run.started_at, run.ended_at)),
            ("attempt", run.attempt), ("worker", run.worker_id or "-"), ("strategy", run.multitask_strategy),
            ("stream mode", ", ".join(run.stream_modes)), ("events", stream_selectors.last_run_seq(run_id=run.run_id)),
        ]
        if run.cancel_action:
            fields.append(("cancel", run.cancel_action))
        for name, value in fields:
            self.stdout.write(f"{name + ':':<13}{value}")
        sections = [("input", run.kwargs.get("input")), ("config", run.kwargs.get("config")),
                    ("context", run.kwargs.get("context")), ("metadata", run.metadata)]
        if run.kwargs.get("command"):
            sections.insert(1, ("command", run.kwargs["command"]))
        sections += [("error", run.error), ("output", run.output)]
        for name, value in sections:
            if value is not None:
                self.stdout.write(f"\n{name}:\n{pretty(value)}")
