"""CPU affinity of a server or worker process (``AGENTSERVER["CPU_AFFINITY"]``).

A server process is bound by the GIL: its threads (the HTTP loop, the runtime loop, the database
threads, the request threads) take turns at one interpreter. When they are spread over several
CPUs, each hand-over wakes a thread on another CPU and waits for it, and a process runs a third
slower than with all its threads on one CPU (bench/README.md). So:

- ``"spread"``: the process keeps to one CPU of those it may use, the one the fewest other
  agentserver processes sharing this machine's temp directory keep to: it holds an exclusive
  ``flock`` on ``<tmp>/agentserver-cpus/<cpu>.<slot>.lock`` for as long as it lives (the lock goes
  with the process, however it ends), trying slot 0 of every CPU, then slot 1, ... So processes
  spread over the CPUs, one each while there are enough, then two each. Each process starts its
  search at a CPU of its own (by its pid), so processes that cannot see each other's locks
  (containers with their own temp directory) rarely land on the same CPU.
- ``"auto"`` (the default): ``spread`` for the embedded default (in-process channel layer and
  executor: one process), left alone in a scaled deployment, where processes of different
  containers may share the machine's CPUs without sharing a temp directory: give each its CPUs
  (a list, a cpuset) or set ``spread`` where they share one.
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
WORDS = ("auto", "spread")
MAX_SLOTS = 64  # processes per CPU that are spread; more are left as the OS runs them
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


def problem(spec, *, allowed=None):
    """What is wrong with ``spec`` (one line), or None (the system checks' test of the option).
    ``allowed``: the CPUs the process may use (None: not known here, not checked)."""
    text = str(spec).strip().lower()
    if text in OFF or text in WORDS:
        return None
    try:
        cpus = parse_cpus(text)
    except ValueError as exc:
        return f"must be auto, spread, off or a CPU list such as 0,2-3: {exc}"
    missing = cpus - set(allowed if allowed is not None else cpus)
    if missing:
        return f"names CPUs not available to this process: it may not use {sorted(missing)}, only {sorted(allowed)}"
    return None


def claim_cpu(allowed, *, directory=None, start=None):
    """Take the first free (slot, CPU) lock, CPUs in order from the ``start``-th (default: by pid):
    a CPU of ``allowed`` that the fewest processes hold. None when every slot is taken."""
    directory = Path(directory or lock_dir())
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # no writable temp directory: run as the OS runs it, not fail to start
        logger.warning("CPU affinity left alone: cannot use %s (%s)", directory, exc)
        return None
    cpus = sorted(allowed)
    offset = (os.getpid() if start is None else start) % len(cpus)
    order = cpus[offset:] + cpus[:offset]
    for slot in range(MAX_SLOTS):
        for cpu in order:
            if _lock(directory / f"{cpu}.{slot}.lock"):
                return cpu
    return None


def _lock(path):
    import fcntl  # POSIX only, as sched_setaffinity is

    try:
        handle = open(path, "a")
    except OSError:  # another user's lock file
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # taken
        handle.close()
        return False
    _held.append(handle)
    return True


def choose(spec, *, allowed, embedded, directory=None):
    """The CPUs this process should keep to, or None to leave it as it is."""
    text = str(spec).strip().lower()
    if text in OFF or (text == "auto" and not embedded):
        return None
    if text in WORDS:
        if len(allowed) < 2:
            return None
        cpu = claim_cpu(allowed, directory=directory)
        return None if cpu is None else {cpu}
    wrong = problem(text, allowed=allowed)
    if wrong:
        raise ValueError(f"CPU_AFFINITY {wrong}")
    return parse_cpus(text)


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


def apply_configured():
    """What a server process or a ``manage.py worker`` does at start-up."""
    from channels.layers import get_channel_layer

    from agentserver.conf import agent_settings

    embedded = not getattr(get_channel_layer(), "spans_processes", True)  # the in-process layer
    return apply(agent_settings.CPU_AFFINITY, embedded=embedded)
