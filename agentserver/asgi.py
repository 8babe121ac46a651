"""ASGI entry point: ``daphne agentserver.asgi:application`` (or uvicorn).

Long-lived responses (SSE streams, /wait and /join) are Channels consumers; everything else is the
Django/DRF application.
"""
import logging
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentserver.settings")

import django  # noqa: E402

django.setup(set_prefix=False)

from agentserver.conf import agent_settings  # noqa: E402
from agentserver.request_threads import SyncChainASGIHandler, with_request_threads  # noqa: E402

django_application = with_request_threads(SyncChainASGIHandler(), agent_settings.REQUEST_THREADS)

from channels.routing import ProtocolTypeRouter  # noqa: E402

from agentserver.checks import enforce  # noqa: E402
from agentserver.db import probe_database  # noqa: E402
from agentserver.graphs import GraphConfigError, registry  # noqa: E402
from agentserver.lifespan import LifespanApp  # noqa: E402
from agentserver.routing import http_router  # noqa: E402

# Bad options stop the server here, each named (daphne and uvicorn run no system checks).
enforce()
# Load langgraph.json now: a graph that cannot be loaded stops the server at start-up, with one line
# naming the graph, its file and the exception before the traceback.
try:
    registry.graph_ids()
except GraphConfigError as exc:
    print(f"agentserver: cannot start: {exc}", file=sys.stderr, flush=True)
    raise
# An unreachable database: one line now (requests answer 503 until it answers), not a pool timeout later.
_problem = probe_database()
if _problem:
    logging.getLogger("agentserver").error("%s; API requests answer 503 until it is back", _problem)


def wrap_http(app):
    """Apply ``AGENTSERVER["ASGI_WRAPPERS"]`` (dotted paths of ``wrap(app) -> app``, innermost
    first): the apps above the API (interop: custom routes, metrics) hook in here by name."""
    from django.utils.module_loading import import_string

    from agentserver.conf import agent_settings

    for path in agent_settings.ASGI_WRAPPERS:
        app = import_string(path)(app)
    return app


application = LifespanApp(
    ProtocolTypeRouter({"http": wrap_http(http_router(django_application))}),
)
