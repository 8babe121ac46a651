"""manage.py check_graphs: load every graph of langgraph.json and report; non-zero exit on failure."""
from django.core.management.base import BaseCommand, CommandError

from agentserver.cli import table
from agentserver.conf import agent_settings
from agentserver.graphs import GraphConfigError, load_config


def describe(spec):
    """(kind, nodes) of a loaded graph spec; factories are only built per run, so no nodes."""
    if spec.factory:
        kind = "factory(config)" if spec.factory_takes_config else "factory"
        return kind, "-"
    graph = spec.base_graph()
    nodes = [name for name in graph.nodes if not name.startswith("__")]
    return "graph", ", ".join(nodes) or "-"


class Command(BaseCommand):
    help = (
        "Check that langgraph.json parses and that every graph in it imports and compiles (the server "
        "refuses to start otherwise). Prints one line per graph; exits non-zero with a message naming "
        "the graph that failed and why. --config checks another file than LANGGRAPH_CONFIG."
    )

    def add_arguments(self, parser):
        parser.add_argument("--config", default=None, help="path of langgraph.json (default: LANGGRAPH_CONFIG)")

    def handle(self, *args, config=None, **options):
        path = config or agent_settings.GRAPHS_CONFIG
        try:
            specs = load_config(path)
            rows = [(graph_id, *describe(spec), spec.spec) for graph_id, spec in specs.items()]
        except GraphConfigError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(table(("GRAPH", "KIND", "NODES", "SPEC"), rows))
        self.stdout.write(self.style.SUCCESS(f"{len(specs)} graph(s) OK in {path}"))
