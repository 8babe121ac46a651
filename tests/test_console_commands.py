"""manage.py polish: run --quiet, --verbosity on the loggers, the worker's second Ctrl-C, and the
admin's delete page counting the events that go with a run."""
import logging
import signal
import subprocess
import sys
import time

import pytest
from django.urls import reverse

from agentserver.cli import verbosity_logging
from tests.factories import make_events, make_run
from tests.test_startup import ROOT, env_for, manage


def test_verbosity_maps_to_the_loggers():
    runs_logger, root = logging.getLogger("runs.executor"), logging.getLogger()
    before = root.level
    with verbosity_logging(0):
        assert not runs_logger.isEnabledFor(logging.WARNING) and runs_logger.isEnabledFor(logging.ERROR)
    with verbosity_logging(2):
        assert runs_logger.isEnabledFor(logging.DEBUG) and not logging.getLogger("httpx").isEnabledFor(logging.DEBUG)
    with verbosity_logging(3):
        assert logging.getLogger("httpx").isEnabledFor(logging.DEBUG)
    assert root.level == before


def test_run_quiet_prints_only_the_stream(tmp_path):
    env = env_for(tmp_path)
    assert manage(env, "migrate", "-v", "0").returncode == 0
    result = manage(env, "run", "--graph", "steps", "--stream-mode", "updates", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines and all(line.startswith("[") for line in lines)
    loud = manage(env, "run", "--graph", "steps", "--stream-mode", "updates")
    assert "ended success" in loud.stderr


def _wait_line(proc, text, timeout=30):
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"{text!r} not seen in {seen}")


def test_a_second_ctrl_c_stops_the_worker_at_once(tmp_path):
    env = env_for(tmp_path, AGENTSERVER_EXECUTOR="worker", PYTHONUNBUFFERED="1")
    assert manage(env, "migrate", "-v", "0").returncode == 0
    worker = subprocess.Popen([sys.executable, "manage.py", "worker", "--grace", "60"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _wait_line(worker, "ready")  # (its checkpointer tables exist before the second process opens them)
    runner = subprocess.Popen([sys.executable, "manage.py", "run", "--graph", "slow", "--stream-mode", "custom",
                               "--input", '{"n": 600, "delay": 0.05}'], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        try:
            _wait_line(runner, "custom")  # the worker executes the run
        except AssertionError:
            runner.kill()
            raise AssertionError(f"manage.py run: {runner.communicate(timeout=10)[1][-2000:]}") from None
        worker.send_signal(signal.SIGINT)
        _wait_line(worker, "shutting down")
        time.sleep(0.5)
        stopped_at = time.monotonic()
        worker.send_signal(signal.SIGINT)
        _wait_line(worker, "stopping now")
        _wait_line(worker, "handed back 1 unfinished run")
        assert worker.wait(15) == 0
        assert time.monotonic() - stopped_at < 10, "the grace period (60 s) was not cut short"
    finally:
        for proc in (worker, runner):
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)


@pytest.mark.django_db
def test_deleting_a_run_says_how_many_events_go_with_it(admin_client):
    run = make_run()
    make_events(run, 7)
    url = reverse("admin:runs_run_delete", args=[run.pk])
    html = admin_client.get(url).content.decode()
    assert "7 stream events of this run" in html
    response = admin_client.post(url, {"post": "yes"}, follow=True)
    assert f"Run {run.pk} was deleted with its 7 stream event(s)." in [str(m) for m in response.context["messages"]]
