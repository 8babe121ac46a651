"""manage.py run: run a graph from the shell, printing its stream live."""
from django.core.management.base import BaseCommand, CommandError

from agentserver.api.exceptions import ServiceError, flatten_errors
from agentserver.cli import (
    Progress,
    format_event,
    parse_id,
    parse_json,
    plain,
    terminal_width,
    verbosity_logging,
)
from agentserver.conf import agent_settings
from agentserver.graphs import GraphConfigError
from agentserver.ids import uuid7
from runs.admin_actions import cancel_with_report
from runs.models import ACTIVE_STATUSES, CancelAction, RunStatus
from runs.selectors import wait_until_finished
from runs.serializers import MULTITASK_STRATEGIES, STREAM_MODES, RunCreateSerializer
from runs.tailing import follow_run

CANCEL_WAIT_SECONDS = 5.0


def build_payload(options):
    """The run-create body the API would receive, from the command's options."""
    payload = {"assistant_id": options["assistant"]}
    resume = parse_json(options["resume"], option="--resume")
    if options["resume"] is not None:
        payload["command"] = {"resume": resume}
    if options["input"] is not None:
        payload["input"] = parse_json(options["input"], option="--input")
    elif options["resume"] is None:
        payload["input"] = {}
    for name in ("config", "context", "metadata"):
        value = parse_json(options[name], option=f"--{name}", want=dict)
        if value is not None:
            payload[name] = value
    if options["stream_mode"]:
        payload["stream_mode"] = options["stream_mode"]
    if options["multitask_strategy"]:
        payload["multitask_strategy"] = options["multitask_strategy"]
    if options["thread"] is None or options["create_thread"]:
        payload["if_not_exists"] = "create"
    return payload


def validate(payload):
    serializer = RunCreateSerializer(data=payload)
    if not serializer.is_valid():
        raise CommandError(f"invalid run: {flatten_errors(serializer.errors)}")
    return dict(serializer.validated_data)


class Command(BaseCommand):
    help = (
        "Run a graph from the shell: create a run through the same services as the API, print its "
        "stream events live (event name and compact data; progress on stderr), and exit non-zero "
        "unless the run succeeds. Without --thread the run gets a new thread (printed, so that you "
        "can continue it with --thread). The run executes in this process unless "
        "AGENTSERVER_EXECUTOR=worker, in which case a `manage.py worker` process runs it. Ctrl-C "
        "interrupts the run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--assistant", "--graph", dest="assistant", required=True,
                            help="graph name from langgraph.json, or an assistant UUID")
        parser.add_argument("--input", default=None, help='the input as JSON, e.g. \'{"messages": [...]}\' (default {})')
        parser.add_argument("--resume", default=None, help="resume an interrupted thread with this JSON value")
        parser.add_argument("--config", default=None, help="RunnableConfig as a JSON object")
        parser.add_argument("--context", default=None, help="the run's context as a JSON object")
        parser.add_argument("--metadata", default=None, help="the run's metadata as a JSON object")
        parser.add_argument("--stream-mode", action="append", choices=STREAM_MODES, default=None,
                            help="a stream mode to print (repeatable; default values)")
        parser.add_argument("--thread", default=None, help="run on this existing thread (a UUID)")
        parser.add_argument("--create-thread", action="store_true", help="create the --thread if it does not exist")
        parser.add_argument("--multitask-strategy", choices=MULTITASK_STRATEGIES, default=None,
                            help="what to do when the thread is busy (default enqueue)")
        parser.add_argument("--timeout", type=float, default=None,
                            help="interrupt the run and fail after this many seconds")
        parser.add_argument("--full", action="store_true", help="print event data untruncated")
        parser.add_argument("--quiet", action="store_true",
                            help="print the stream only: no progress, summary or log lines on stderr")

    def handle(self, *args, **options):
        # --quiet: the stream on stdout and nothing else (no progress, summary or log lines)
        with verbosity_logging(0 if options["quiet"] else options["verbosity"]):
            self._handle(options)

    def _handle(self, options):
        if options["create_thread"] and options["thread"] is None:
            raise CommandError("--create-thread needs --thread")
        if options["timeout"] is not None and options["timeout"] <= 0:
            raise CommandError("--timeout must be a positive number of seconds")
        self.quiet = options["quiet"]
        thread_id = parse_id(options["thread"], option="--thread") if options["thread"] else uuid7()
        payload = validate(build_payload(options))
        self._check_thread(options, thread_id)
        self._prepare()
        run = self._create(payload, thread_id)
        started_here = self._start_executor(run.run_id)
        try:
            status = self._follow(run, options)
        finally:
            if started_here:
                self._stop_executor()
        self._finish(run, status)

    # --- steps ---------------------------------------------------------------------------------
    def _check_thread(self, options, thread_id):
        from threads.models import Thread

        if options["thread"] and not options["create_thread"] and not Thread.objects.filter(pk=thread_id).exists():
            raise CommandError(f"thread {thread_id} not found (add --create-thread to create it)")

    def _prepare(self):
        from agentserver import persistence
        from assistants.services import sync_system_assistants

        try:
            sync_system_assistants()
        except GraphConfigError as exc:
            raise CommandError(str(exc)) from exc
        persistence.setup()

    def _start_executor(self, run_id):
        """Embedded mode: an executor in this process that runs only this run. True when started here."""
        from agentserver import runtime
        from agentserver.conf import agent_settings
        from runs.executor import get_executor, start_executor

        if agent_settings.EXECUTOR != "embedded" or get_executor() is not None:
            return False
        runtime.call(start_executor(only_run_ids={run_id}))
        return True

    def _stop_executor(self):
        """Hand back any other run this short-lived executor claimed, so nothing waits on a lease."""
        from agentserver import runtime
        from runs.executor import get_executor

        runtime.call(get_executor().shutdown(grace=0), timeout=60)

    def _create(self, payload, thread_id):
        from runs.services import create_run

        try:
            run = create_run(payload=payload, thread_id=thread_id)
        except ServiceError as exc:
            raise CommandError(f"cannot create the run: {exc.detail}") from exc
        except GraphConfigError as exc:
            raise CommandError(str(exc)) from exc
        if not self.quiet:
            self.stderr.write(f"run {run.run_id} on thread {run.thread_id} (graph {run.graph_id})", plain)
        return run

    def _follow(self, run, options):
        width = None if options["full"] else max(terminal_width() - 10, 60)
        progress = Progress(self.stderr, enabled=not options["quiet"])
        self.events = 0
        waiting = agent_settings.EXECUTOR == "worker"

        def on_rows(status, rows):
            progress.clear()
            for seq, _thread_seq, event, data in rows:
                self.stdout.write(format_event(seq, event, data, width=width))
            self.stdout.flush()
            self.events += len(rows)

        def on_idle(status, last):
            note = " (waiting for a worker)" if waiting and status == RunStatus.PENDING else ""
            progress.tick(status, self.events, note=note)

        try:
            status, _ = follow_run(run_id=run.run_id, on_rows=on_rows, on_idle=on_idle, timeout=options["timeout"])
        except KeyboardInterrupt:
            progress.clear()
            self._cancel(run, "interrupted by Ctrl-C")
            raise CommandError("interrupted by Ctrl-C", returncode=130) from None
        progress.clear()
        self.elapsed = progress.elapsed
        if status in ACTIVE_STATUSES:
            self._cancel(run, f"timed out after {options['timeout']}s")
            raise CommandError(f"run {run.run_id} did not finish within {options['timeout']}s; it was interrupted")
        return status

    def _cancel(self, run, why):
        """Interrupt the run and give its executor (maybe this process's) a moment to stop it."""
        report = cancel_with_report(run_ids=[run.run_id], action=CancelAction.INTERRUPT)
        self.stderr.write(f"{why}: " + "; ".join(report.lines()), plain)
        final = wait_until_finished(run_ids=report.cancelled_ids, timeout=CANCEL_WAIT_SECONDS)
        for run_id, status in final.items():
            self.stderr.write(f"{run_id}: {status or 'deleted'}", plain)

    def _finish(self, run, status):
        from runs.models import Run
        from threads.models import Thread, ThreadStatus

        summary = f"run {run.run_id} ended {status or 'deleted (rolled back)'} in {self.elapsed:.1f}s ({self.events} events)"
        if status == RunStatus.SUCCESS:
            if not self.quiet:
                self.stderr.write(summary, self.style.SUCCESS)
            if Thread.objects.filter(pk=run.thread_id, status=ThreadStatus.INTERRUPTED).exists() and not self.quiet:
                self.stderr.write(f"thread {run.thread_id} is waiting on an interrupt: continue with "
                                  f"--thread {run.thread_id} --resume JSON", plain)
            return
        error = Run.objects.filter(pk=run.run_id).values_list("error", flat=True).first()
        detail = f": {error.get('error')}: {error.get('message')}" if isinstance(error, dict) else ""
        raise CommandError(f"{summary}{detail}")
