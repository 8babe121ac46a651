"""Signals of the ground layer, for the apps above it to hook into."""
from django.dispatch import Signal

# Sent once per server process before it serves (``agentserver.lifespan.start_server_process``),
# after LangGraph's checkpointer and store tables exist. Apps connect in their ``ready()``: the
# assistants app syncs the graphs' system assistants, the runs app starts the embedded executor.
server_starting = Signal()

# Sent once per server process when it is asked to stop (SIGTERM to daphne; ASGI lifespan shutdown),
# before it exits (``agentserver.lifespan.stop_server_process``). The runs app drains the embedded
# executor here: no new claims, running runs finish within the grace period, the rest are handed
# back to the queue at once so that a restart picks them up immediately.
server_stopping = Signal()
