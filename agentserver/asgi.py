"""ASGI entry point: ``daphne agentserver.asgi:application`` (or uvicorn).

Long-lived responses (SSE streams, /wait and /join) are Channels consumers; everything else is the
Django/DRF application.
"""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentserver.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from agentserver.graphs import registry  # noqa: E402
from agentserver.lifespan import LifespanApp  # noqa: E402
from interop.asgi import wrap  # noqa: E402
from streaming.routing import http_router  # noqa: E402

# Load langgraph.json now: a graph that cannot be loaded stops the server at start-up, naming it.
registry.graph_ids()

application = LifespanApp(
    ProtocolTypeRouter({"http": wrap(http_router(django_application))}),
)
