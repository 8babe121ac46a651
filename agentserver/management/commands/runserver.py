"""``manage.py runserver``: Daphne's development server (channels' runserver), which first checks what
an operator would otherwise find out the hard way: the port is free (else exit 1; no executor
starts), the graphs load and the database answers (each a one-line message and exit 1).

It listens with a backlog of ``LISTEN_BACKLOG`` connections (Twisted's default is 50: a burst of
clients connecting at once, e.g. a UI opening 100 streams, had the 51st onwards retry their SYN after
a second)."""
import errno
import socket

import daphne.management.commands.runserver as daphne_runserver
from daphne.endpoints import build_endpoint_description_strings
from daphne.management.commands.runserver import Command as DaphneRunserver
from django.core.management.base import CommandError

from agentserver.db import probe_database
from agentserver.graphs import GraphConfigError, registry


def port_problem(addr, port, ipv6=False):
    """None if ``addr:port`` can be listened on, else why not."""
    family = socket.AF_INET6 if ipv6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((addr, int(port)))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {addr} is already in use (another server is running there?)"
            return f"cannot listen on {addr}:{port}: {exc.strerror or exc}"
    return None


LISTEN_BACKLOG = 1024


def endpoints_with_backlog(**kwargs):
    """Daphne's endpoint strings for ``host``/``port``, each TCP one with ``backlog=LISTEN_BACKLOG``."""
    return [f"{s}:backlog={LISTEN_BACKLOG}" if s.startswith("tcp:") else s
            for s in build_endpoint_description_strings(**kwargs)]


class Command(DaphneRunserver):
    def inner_run(self, *args, **options):
        daphne_runserver.build_endpoint_description_strings = endpoints_with_backlog
        problem = port_problem(self.addr, self.port, getattr(self, "use_ipv6", False))
        if problem:
            raise CommandError(problem)
        try:
            registry.graph_ids()
        except GraphConfigError as exc:
            raise CommandError(f"cannot load the graphs: {exc}") from None
        problem = probe_database()
        if problem:
            raise CommandError(problem)
        return super().inner_run(*args, **options)
