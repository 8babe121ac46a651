"""manage.py crons: list crons, show one, enable/disable/delete it, or fire the due ones now."""
from django.core.management.base import BaseCommand, CommandError

from agentserver.api.exceptions import ServiceError
from agentserver.cli import fmt_time, parse_id, table, to_json
from crons import scheduler, selectors, services
from crons.serializers import cron_json


class Command(BaseCommand):
    help = (
        "Inspect and control crons. `crons` (or `crons list`) lists them with their next and last run; "
        "`crons show ID`; `crons enable ID` / `crons disable ID` / `crons delete ID`; `crons fire-due` fires "
        "every due cron once now (what the scheduler of each server and worker does). --json for scripts."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", default="list",
                            choices=("list", "show", "enable", "disable", "delete", "fire-due"))
        parser.add_argument("id", nargs="?", help="the cron id")
        parser.add_argument("--enabled", choices=("true", "false"), help="list only enabled/disabled crons")
        parser.add_argument("--limit", type=int, default=50)
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, action="list", id=None, **options):
        try:
            if action == "list":
                return self._list(options)
            if action == "fire-due":
                runs = scheduler.fire_due()
                return self.stdout.write(f"fired {len(runs)} cron run(s)")
            if not id:
                raise CommandError(f"crons {action} needs a cron id")
            cron_id = parse_id(id, option="id")
            return self._one(action, cron_id, options)
        except ServiceError as exc:
            raise CommandError(exc.detail) from None

    def _one(self, action, cron_id, options):
        if action == "show":
            cron = selectors.get_cron(cron_id=cron_id)
        elif action == "delete":
            services.delete_cron(cron_id=cron_id)
            return self.stdout.write(f"deleted cron {cron_id}")
        else:
            cron = services.set_enabled(cron_id=cron_id, enabled=action == "enable")
        data = {**cron_json(cron), "last_run_date": cron.last_run_date,
                "last_run_id": str(cron.last_run_id) if cron.last_run_id else None}
        self.stdout.write(to_json(data) if options["json"] or action == "show" else
                          f"cron {cron_id} {action}d; next run {fmt_time(cron.next_run_date)}")

    def _list(self, options):
        enabled = None if options["enabled"] is None else options["enabled"] == "true"
        crons = selectors.search_crons(enabled=enabled, limit=options["limit"], sort_by="next_run_date",
                                       sort_order="asc")
        if options["json"]:
            return self.stdout.write(to_json([cron_json(c) for c in crons]))
        rows = [[c.cron_id, c.schedule, c.timezone or "UTC", "yes" if c.enabled else "no", fmt_time(c.next_run_date),
                 fmt_time(c.last_run_date), c.thread_id or "stateless"] for c in crons]
        self.stdout.write(table(["cron", "schedule", "timezone", "enabled", "next run", "last run", "thread"], rows))
