"""CPU affinity (agentserver.affinity): processes of the embedded default (or ``spread``) keep to
one CPU each, spread over the CPUs; a scaled deployment is left alone by default; an explicit list
is obeyed; a bad value is named by the checks."""
import os
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.test import override_settings

from agentserver import affinity
from agentserver.checks import check_agentserver_options


def threads_cpus(pid):
    """{thread id: allowed CPU list text} of every thread of process ``pid``."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("Cpus_allowed_list:"):
                found[task.name] = line.split(":", 1)[1].strip()
    return found


def test_choose(tmp_path):
    allowed = {0, 1, 2, 3}
    assert affinity.choose("off", allowed=allowed, embedded=True) is None
    assert affinity.choose("", allowed=allowed, embedded=True) is None
    assert affinity.choose("auto", allowed=allowed, embedded=False) is None  # scaled: left alone
    assert affinity.choose("auto", allowed={2}, embedded=True, directory=tmp_path) is None  # nothing to choose
    assert affinity.choose("0,2-3", allowed=allowed, embedded=False) == {0, 2, 3}
    with pytest.raises(ValueError, match="not available"):
        affinity.choose("7", allowed=allowed, embedded=True)
    held = len(affinity._held)
    try:
        for spec, embedded in (("auto", True), ("spread", False), ("spread", True)):
            got = affinity.choose(spec, allowed=allowed, embedded=embedded, directory=tmp_path)
            assert len(got) == 1 and got <= allowed
    finally:
        while len(affinity._held) > held:
            affinity._held.pop().close()


def test_no_usable_lock_directory_leaves_the_process_alone(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert affinity.claim_cpu({0, 1}, directory=blocker / "agentserver-cpus") is None


def test_spread_gives_each_process_the_least_taken_cpu(tmp_path, monkeypatch):
    held = len(affinity._held)
    monkeypatch.setattr(affinity, "MAX_SLOTS", 2)
    try:
        # each claim is a lock of its own, as another process's would be
        got = [affinity.claim_cpu({0, 1, 2}, directory=tmp_path, start=1) for _ in range(7)]
        assert got == [1, 2, 0, 1, 2, 0, None]  # one each, then two each, then left alone
        affinity._held.pop(held).close()  # the first process (CPU 1) ends: its CPU is the free one
        assert affinity.claim_cpu({0, 1, 2}, directory=tmp_path, start=0) == 1
    finally:
        while len(affinity._held) > held:
            affinity._held.pop().close()


@pytest.mark.parametrize("value, fragment", [("fast", "spread, off or a CPU list"), ("3-1", "empty CPU range"),
                                             ("1,,2", "not a CPU number"), ("4096", "may not use")])
def test_a_bad_value_is_named_by_the_checks(value, fragment):
    with override_settings(AGENTSERVER={**settings.AGENTSERVER, "CPU_AFFINITY": value}):
        messages = [str(m) for m in check_agentserver_options()]
    assert any("CPU_AFFINITY" in m and fragment in m and "AGENTSERVER_CPU_AFFINITY" in m for m in messages), messages


def test_good_values_pass_the_checks():
    for value in ("auto", "spread", "off", "0", ",".join(map(str, sorted(os.sched_getaffinity(0))))):
        with override_settings(AGENTSERVER={**settings.AGENTSERVER, "CPU_AFFINITY": value}):
            assert not [m for m in check_agentserver_options() if "CPU_AFFINITY" in str(m)], value


@pytest.mark.skipif(not affinity.supported(), reason="no sched_setaffinity here")
def test_the_live_server_keeps_to_one_cpu_on_the_embedded_default(agent_server):
    httpx.get(f"{agent_server.url}/ok", timeout=10)  # started (the first request starts the process)
    allowed = {str(cpu) for cpu in os.sched_getaffinity(0)}
    everything = set(threads_cpus(os.getpid()).values())  # the pytest process keeps every CPU
    cpus = set(threads_cpus(agent_server.proc.pid).values())
    if os.environ.get("REDIS_URL") or len(allowed) == 1:
        assert cpus == everything  # scaled mode: as the OS runs it
    else:
        assert len(cpus) == 1 and cpus <= allowed, cpus  # every thread on the same one CPU


def test_an_explicit_list_sets_every_thread(monkeypatch):
    import threading

    before = os.sched_getaffinity(0)
    ready, stop = threading.Event(), threading.Event()
    worker = threading.Thread(target=lambda: (ready.set(), stop.wait(10)))
    worker.start()
    ready.wait(5)
    try:
        target = min(before)
        assert affinity.apply(str(target), embedded=False) == {target}
        assert set(threads_cpus(os.getpid()).values()) == {str(target)}
    finally:
        for tid in os.listdir("/proc/self/task"):
            os.sched_setaffinity(int(tid), before)
        stop.set()
        worker.join(5)
