"""manage.py check_graphs: load every graph of langgraph.json and report; non-zero exit on failure."""
import asyncio

from django.core.management.base import BaseCommand, CommandError

from agentserver.cli import table
from agentserver.conf import agent_settings
from agentserver.graphs import GraphConfigError, build_sample, load_config


def describe(spec):
    """(kind, nodes) of a loaded graph spec; a factory is called with a sample config (and a
    ``ServerRuntime`` for ``assistants.read``), so one that raises or returns no graph fails here."""
    graph = spec.base_graph()
    kind = "graph"
    if spec.factory:
        kind = f"factory({', '.join(spec.factory_args)})" if spec.factory_args else "factory"
        try:
            graph = asyncio.run(build_sample(spec))
        except GraphConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - the factory's own failure
            raise GraphConfigError(f"Graph '{spec.graph_id}': its factory failed: {exc!r}") from exc
    nodes = [name for name in graph.nodes if not name.startswith("__")]
    return kind, ", ".join(nodes) or "-"


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
