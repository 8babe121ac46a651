"""manage.py purge: delete finished runs, their events and temporary threads older than a cutoff."""
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from agentserver.cli import fmt_time, parse_duration, to_json
from runs.purge import BATCH_SIZE, purge


class Command(BaseCommand):
    help = (
        "Delete old data: finished runs (success, error, interrupted, timeout) that ended more than "
        "--older-than ago (e.g. 30m, 12h, 7d, 2w) together with their stream events; temporary threads "
        "of stateless runs untouched for that long (with their runs, events and checkpoints); and "
        "events whose run or thread no longer exists. Threads and their state are kept. Active runs are "
        "never touched. --dry-run only counts. Each batch is one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 30m, 12h, 7d, 2w")
        parser.add_argument("--dry-run", action="store_true", help="report what would be deleted; delete nothing")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help=f"rows per transaction (default {BATCH_SIZE})")
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args, older_than, dry_run=False, batch_size=BATCH_SIZE, **options):
        age = parse_duration(older_than)
        if age.total_seconds() <= 0:
            raise CommandError("--older-than must be more than zero")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        cutoff = timezone.now() - age
        report = purge(cutoff=cutoff, dry_run=dry_run, batch_size=batch_size)
        if options["json"]:
            self.stdout.write(to_json({"cutoff": cutoff, "dry_run": dry_run, **report.as_dict()}))
            return
        prefix = "dry run: " if dry_run else ""
        self.stdout.write(f"{prefix}{report.summary(dry_run=dry_run)} (older than {fmt_time(cutoff)})")
