"""CPU affinity of a server process (``AGENTSERVER["CPU_AFFINITY"]``).

A server process is bound by the GIL: its threads (the HTTP loop, the runtime loop, the database
threads, the request threads) take turns at one interpreter. When they are spread over several
CPUs, each hand-over wakes a thread on another CPU and waits for it, and a process runs a third
slower than with all its threads on one CPU (bench/README.md). So:

- ``"auto"`` (the default): a process of the embedded default (in-process channel layer and
  executor: the only server process of its deployment) keeps to one CPU of those it may use, the
  last one. A scaled deployment (Redis, ``manage.py worker``) is left as the OS runs it: its
  processes would all pick the same CPU; give each its own with a list instead.
- a list such as ``"2"`` or ``"0,2-3"``: this process keeps to those CPUs.
- ``"off"`` (or empty): left as the OS runs it.

Threads started later inherit the affinity of the thread that starts them, so setting every
thread the process has at start-up covers the process.
"""
import logging
import os

logger = logging.getLogger(__name__)

OFF = ("", "off", "none")


def parse_cpus(spec):
    """``"0,2-3"`` -> {0, 2, 3}; ValueError naming what is wrong."""
    cpus = set()
    for part in str(spec).split(","):
        part = part.strip()
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ValueError(f"not a CPU number or range: {part!r}")
        low, high = int(first), int(last) if dash else int(first)
        if high < low:
            raise ValueError(f"empty CPU range: {part!r}")
        cpus.update(range(low, high + 1))
    return cpus


def supported():
    return hasattr(os, "sched_setaffinity") and os.path.isdir("/proc/self/task")


def choose(spec, *, allowed, embedded):
    """The CPUs this process should keep to, or None to leave it as it is."""
    text = str(spec).strip().lower()
    if text in OFF:
        return None
    if text == "auto":
        return {max(allowed)} if embedded and len(allowed) > 1 else None
    cpus = parse_cpus(text)
    missing = cpus - set(allowed)
    if missing:
        raise ValueError(f"CPUs {sorted(missing)} are not available to this process (it may use {sorted(allowed)})")
    return cpus


def apply(spec, *, embedded):
    """Set the affinity of every thread of this process; returns the CPUs, or None if unchanged."""
    if not supported():
        return None
    cpus = choose(spec, allowed=os.sched_getaffinity(0), embedded=embedded)
    if cpus is None:
        return None
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except (ProcessLookupError, PermissionError):  # a thread that has just ended
            continue
    logger.info("agentserver keeps to CPU %s (AGENTSERVER_CPU_AFFINITY)", ",".join(map(str, sorted(cpus))))
    return cpus


def apply_configured(*, server=True):
    """What a server process (``server``) or a ``manage.py worker`` does at start-up."""
    from channels.layers import get_channel_layer

    from agentserver.conf import agent_settings

    in_process_layer = not getattr(get_channel_layer(), "spans_processes", True)
    embedded = server and agent_settings.EXECUTOR == "embedded" and in_process_layer
    return apply(agent_settings.CPU_AFFINITY, embedded=embedded)
