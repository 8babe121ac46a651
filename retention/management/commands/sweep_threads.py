"""manage.py sweep_threads: one thread-TTL sweep now (what every worker and embedded server does)."""
from django.core.management.base import BaseCommand
from django.utils import timezone

from retention import sweeper


class Command(BaseCommand):
    help = (
        "Delete (or prune to their latest checkpoint) the threads whose TTL has passed: their own `ttl` or "
        "langgraph.json's checkpointer.ttl.default_ttl. Threads with a pending or running run are skipped. "
        "--dry-run only counts them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count the expired threads, delete nothing")

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            groups = sweeper.expired_threads(now=timezone.now())
            for strategy, ids in groups:
                self.stdout.write(f"would {'delete' if strategy == 'delete' else 'prune'} {len(ids)} thread(s)")
            if not groups:
                self.stdout.write("no thread has a TTL")
            return
        report = sweeper.sweep()
        self.stdout.write(f"deleted {report.deleted} thread(s); pruned {report.pruned} to their latest checkpoint")
