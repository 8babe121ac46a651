"""Signals of the ground layer, for the apps above it to hook into."""
from django.dispatch import Signal

# Sent once per server process before it serves (``agentserver.lifespan.start_server_process``),
# after LangGraph's checkpointer and store tables exist. Apps connect in their ``ready()``: the
# assistants app syncs the graphs' system assistants, the runs app starts the embedded executor.
server_starting = Signal()
