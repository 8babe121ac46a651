"""manage.py sync_assistants: make sure every graph of langgraph.json has its system assistant."""
from django.core.management.base import BaseCommand, CommandError

from agentserver.graphs import GraphConfigError, registry
from assistants.services import sync_system_assistants


class Command(BaseCommand):
    help = (
        "Create the system assistant of every graph in langgraph.json (the id LangGraph's own server "
        "uses: uuid5 of the graph name). Idempotent: existing assistants are left as they are. The "
        "server does this at start-up too."
    )

    def handle(self, *args, **options):
        try:
            graph_ids = registry.graph_ids()
            created = sync_system_assistants()
        except GraphConfigError as exc:
            raise CommandError(str(exc)) from exc
        for assistant in created:
            self.stdout.write(f"created system assistant {assistant.assistant_id} for graph {assistant.graph_id}")
        existing = len(graph_ids) - len(created)
        self.stdout.write(f"{len(created)} created, {existing} already present ({len(graph_ids)} graphs)")
