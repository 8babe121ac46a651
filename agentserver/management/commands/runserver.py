"""``manage.py runserver``: Daphne's development server (channels' runserver), which first checks what
an operator would otherwise find out the hard way: the port is free (else exit 1; no executor
starts), the graphs load and the database answers (each a one-line message and exit 1)."""
import errno
import socket

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


class Command(DaphneRunserver):
    def inner_run(self, *args, **options):
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
