"""CPU affinity of a server or worker process (``AGENTSERVER["CPU_AFFINITY"]``).

A server process is bound by the GIL: its threads (the HTTP loop, the runtime loop, the database
threads, the request threads) take turns at one interpreter. When they are spread over several
CPUs, each hand-over wakes a thread on another CPU and waits for it, and a process runs a third
slower than with all its threads on one CPU (bench/README.md). So:

- ``"auto"`` (the default): the process keeps to one CPU of those it may use, the one the fewest
  other agentserver processes of this machine keep to: it holds an exclusive ``flock`` on
  ``<tmp>/agentserver-cpus/<cpu>.<slot>.lock`` for as long as it lives (the lock goes with the
  process, however it ends), trying slot 0 of every CPU (the last CPU first), then slot 1, ...
  So processes spread over the CPUs, one each while there are enough, then two each. A process
  that may use only one CPU is left as the OS runs it.
- a list such as ``"2"`` or ``"0,2-3"``: this process keeps to those CPUs.
- ``"off"`` (or empty): left as the OS runs it.

Threads started later inherit the affinity of the thread that starts them, so setting every
thread the process has at start-up covers the process.
"""
import logging
import os
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

OFF = ("", "off", "none")
_held = []  # the open lock files of the CPUs this process has taken (kept open while it lives)


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


def lock_dir():
    return Path(tempfile.gettempdir()) / "agentserver-cpus"


MAX_SLOTS = 64  # processes per CPU that are spread; more are left as the OS runs them


def claim_cpu(allowed, *, directory=None):
    """Take the first free (slot, CPU) lock: one CPU of ``allowed`` that the fewest processes
    hold (the last CPU first); None when every slot is taken."""
    import fcntl

    directory = Path(directory or lock_dir())
    directory.mkdir(parents=True, exist_ok=True)
    for slot in range(MAX_SLOTS):
        cpu = _claim_slot(fcntl, directory, allowed, slot)
        if cpu is not None:
            return cpu
    return None


def _claim_slot(fcntl, directory, allowed, slot):
    for cpu in sorted(allowed, reverse=True):
        try:
            handle = open(directory / f"{cpu}.{slot}.lock", "a")
        except OSError:  # another user's lock file
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # taken
            handle.close()
            continue
        _held.append(handle)
        return cpu
    return None


def choose(spec, *, allowed, directory=None):
    """The CPUs this process should keep to, or None to leave it as it is."""
    text = str(spec).strip().lower()
    if text in OFF:
        return None
    if text == "auto":
        if len(allowed) < 2:
            return None
        cpu = claim_cpu(allowed, directory=directory)
        return None if cpu is None else {cpu}
    cpus = parse_cpus(text)
    missing = cpus - set(allowed)
    if missing:
        raise ValueError(f"CPUs {sorted(missing)} are not available to this process (it may use {sorted(allowed)})")
    return cpus


def apply(spec):
    """Set the affinity of every thread of this process; returns the CPUs, or None if unchanged."""
    if not supported():
        return None
    cpus = choose(spec, allowed=os.sched_getaffinity(0))
    if cpus is None:
        return None
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except (ProcessLookupError, PermissionError):  # a thread that has just ended
            continue
    logger.info("agentserver keeps to CPU %s (AGENTSERVER_CPU_AFFINITY)", ",".join(map(str, sorted(cpus))))
    return cpus


def apply_configured():
    """What a server process or a ``manage.py worker`` does at start-up."""
    from agentserver.conf import agent_settings

    return apply(agent_settings.CPU_AFFINITY)
