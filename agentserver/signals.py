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
