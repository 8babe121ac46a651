"""Signals of the ground layer, for the apps above it to hook into (lower apps never import them).

``server_starting(sender)``: sent once per server process before it serves
(``agentserver.lifespan.start_server_process``), after LangGraph's checkpointer and store tables
exist. The assistants app syncs the graphs' system assistants, the runs app starts the embedded
executor.

``executor_started(sender, executor)``: sent (from sync code) once this process's run executor runs,
by the server's start-up (embedded executor) and by ``manage.py worker``. The schedulers and sweepers
of the crons, retention and store apps start on it.
"""
from django.dispatch import Signal

server_starting = Signal()
executor_started = Signal()

# Sent once per server process when it is asked to stop (SIGTERM to daphne; ASGI lifespan shutdown),
# before it exits (``agentserver.lifespan.stop_server_process``). The runs app drains the embedded
# executor here: no new claims, running runs finish within the grace period, the rest are handed
# back to the queue at once so that a restart picks them up immediately.
server_stopping = Signal()
