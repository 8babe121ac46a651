"""manage.py tail: print a run's or a thread's stream events, following new ones like ``tail -f``."""
import json

from django.core.management.base import BaseCommand, CommandError

from agentserver.cli import compact, format_event, parse_id, plain, terminal_width
from runs import selectors as run_selectors
from runs.tailing import follow_run, follow_thread
from streaming import selectors


class Command(BaseCommand):
    help = (
        "Print the stream events of a run (--run) or of a thread (--thread) and follow new ones like "
        "`tail -f`: a run until it ends, a thread until Ctrl-C. Each line starts with the event's "
        "position [N]; --after N resumes after it (the SSE Last-Event-ID), -n N starts with the last N "
        "events, --no-follow prints what exists and exits."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--run", help="a run id")
        target.add_argument("--thread", help="a thread id")
        start = parser.add_mutually_exclusive_group()
        start.add_argument("--after", type=int, default=None, help="print events after this position (default: all)")
        start.add_argument("-n", "--last", type=int, default=None, help="start with the last N events")
        parser.add_argument("--no-follow", action="store_true", help="print the events that exist and exit")
        parser.add_argument("--json", action="store_true", help="one JSON object per line (id, event, data)")
        parser.add_argument("--full", action="store_true", help="print event data untruncated")

    def handle(self, *args, **options):
        for name in ("after", "last"):
            if options[name] is not None and options[name] < 0:
                raise CommandError(f"--{name}: must be 0 or more")
        self.as_json = options["json"]
        self.width = None if options["full"] or options["json"] else max(terminal_width() - 10, 60)
        follow = not options["no_follow"]
        try:
            if options["run"]:
                self._tail_run(parse_id(options["run"], option="--run"), options, follow)
            else:
                self._tail_thread(parse_id(options["thread"], option="--thread"), options, follow)
        except KeyboardInterrupt:
            self.stdout.flush()

    def _print(self, position, event, data, **extra):
        if self.as_json:
            try:
                value = json.loads(data)
            except ValueError:
                value = data
            self.stdout.write(compact({"id": position, "event": event, "data": value, **extra}))
        else:
            self.stdout.write(format_event(position, event, data, width=self.width))

    def _tail_run(self, run_id, options, follow):
        last = selectors.last_run_seq(run_id=run_id)
        if run_selectors.run_status(run_id=run_id) is None and not last:
            raise CommandError(f"run {run_id} not found")
        after = options["after"] or 0
        if options["last"] is not None:
            after = max(last - options["last"], 0)

        def on_rows(status, rows):
            for seq, _thread_seq, event, data in rows:
                self._print(seq, event, data)
            self.stdout.flush()

        status, _ = follow_run(run_id=run_id, after=after, on_rows=on_rows, follow=follow)
        if follow:
            self.stderr.write(f"run {run_id} {'ended ' + status if status else 'no longer exists'}", plain)

    def _tail_thread(self, thread_id, options, follow):
        head = selectors.log_head(thread_id=thread_id)
        if head is None:
            raise CommandError(f"thread {thread_id} not found")
        after = options["after"] or 0
        if options["last"] is not None:
            after = max(head - options["last"], 0)

        def on_rows(rows):
            for seq, thread_seq, event, data in rows:
                if self.as_json:
                    self._print(thread_seq, event, data, seq=seq)
                else:
                    self._print(thread_seq, event, data)
            self.stdout.flush()

        def gone():
            return selectors.log_head(thread_id=thread_id) is None

        follow_thread(thread_id=thread_id, after=after, on_rows=on_rows, follow=follow, should_stop=gone)
