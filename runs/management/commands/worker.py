"""manage.py worker: execute runs in this process (scaled mode, or beside an embedded server)."""
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from agentserver import affinity, gctune, persistence, runtime
from agentserver.cli import verbosity_logging
from agentserver.conf import agent_settings
from agentserver.db import probe_database
from agentserver.graphs import GraphConfigError, registry


class Command(BaseCommand):
    help = (
        "Start a run worker: claims pending runs from the database (one run per thread at a time, each "
        "claimed once across all workers), executes them and streams their events. SIGTERM/SIGINT stop "
        "claiming, let running runs finish within --grace seconds, then hand the rest back to the queue."
    )

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, default=None,
                            help=f"runs executed at once (default {agent_settings.WORKER_CONCURRENCY})")
        parser.add_argument("--grace", type=float, default=None,
                            help=f"seconds to let runs finish on shutdown (default {agent_settings.SHUTDOWN_GRACE_SECONDS})")
        parser.add_argument("--worker-id", default=None, help="name shown on claimed runs (default host:pid:random)")

    def handle(self, *args, **options):
        with verbosity_logging(options["verbosity"]):
            self._handle(**options)

    def _handle(self, *, concurrency=None, grace=None, worker_id=None, **options):
        if concurrency is not None and concurrency < 1:
            raise CommandError("--concurrency must be at least 1")
        try:
            registry.graph_ids()
        except GraphConfigError as exc:
            raise CommandError(f"cannot load the graphs: {exc}") from exc
        problem = probe_database()
        if problem:
            raise CommandError(problem)
        from assistants.services import sync_system_assistants
        from runs.executor import start_executor

        sync_system_assistants()
        affinity.apply_configured()
        persistence.setup()
        executor = runtime.call(start_executor(concurrency=concurrency, worker_id=worker_id, kind="worker"))
        from agentserver.signals import executor_started

        executor_started.send(sender="worker", executor=executor)
        gctune.tune_configured()
        self.stdout.write(f"worker {executor.worker_id} ready (concurrency {executor.concurrency})")
        self.stdout.flush()
        stop = threading.Event()

        def on_signal(*_):
            if stop.is_set():  # the second Ctrl-C/SIGTERM: no more grace, hand the runs back now
                self.stdout.write("stopping now: unfinished runs go back to the queue")
                self.stdout.flush()
                executor.hurry()
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, on_signal)
        while not stop.wait(0.5):
            pass
        self.stdout.write("shutting down: no new runs claimed (Ctrl-C again to stop at once)")
        self.stdout.flush()
        leftover = runtime.call(executor.shutdown(grace=grace))
        self.stdout.write(f"stopped; handed back {len(leftover)} unfinished run(s)")
