"""System checks name every bad AGENTSERVER option; the server does not start with one."""
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings

from agentserver.checks import check_agentserver_options, check_secret_key
from tests.conftest import ROOT


def messages(**options):
    with override_settings(AGENTSERVER={**settings.AGENTSERVER, **options}):
        return [message.msg for message in check_agentserver_options()]


def test_the_defaults_pass():
    assert messages() == []


def test_each_bad_value_is_named():
    found = messages(EXECUTOR="both", WORKER_CONCURRENCY=0, SHUTDOWN_GRACE_SECONDS=-1, MAX_ATTEMPTS="three",
                     ON_WORKER_CRASH="ignore", REQUEST_POLICIES=[1], HEARTBEAT_SECONDS=True)
    assert len(found) == 7
    for name in ("EXECUTOR", "WORKER_CONCURRENCY", "SHUTDOWN_GRACE_SECONDS", "MAX_ATTEMPTS", "ON_WORKER_CRASH",
                 "REQUEST_POLICIES", "HEARTBEAT_SECONDS"):
        assert any(f"AGENTSERVER[{name!r}]" in message for message in found), name
    assert any("one of embedded, worker: got 'both'" in message for message in found)


def test_unknown_options_and_a_too_short_lease():
    assert messages(LEASE_SECOND=3) == ["Unknown option AGENTSERVER['LEASE_SECOND']"]
    assert messages(LEASE_SECONDS="1") == ["AGENTSERVER['LEASE_SECONDS'] must be at least 2 (leases are renewed every second)"]


def test_environment_text_is_converted_and_checked():
    assert messages(WORKER_CONCURRENCY="8", LEASE_SECONDS="2.5") == []
    assert messages(LEASE_SECONDS="soon") == [
        "AGENTSERVER['LEASE_SECONDS'] must be a number: got 'soon' (environment variable AGENTSERVER_LEASE_SECONDS)"]


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_the_development_secret_key_warns_outside_the_embedded_default():
    databases = {"default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.postgresql"}}
    with override_settings(DATABASES=databases, DEBUG=False, SECRET_KEY="agentserver-insecure-development-key-change-me"):
        assert [m.id for m in check_secret_key()] == ["agentserver.W001"]
    with override_settings(DATABASES=databases, SECRET_KEY="x" * 50):
        assert check_secret_key() == []


def test_the_asgi_application_refuses_to_start_with_a_bad_option():
    env = {**os.environ, "AGENTSERVER_EXECUTOR": "sometimes", "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run([sys.executable, "-c", "import agentserver.asgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "AGENTSERVER['EXECUTOR'] must be one of embedded, worker: got 'sometimes'" in result.stderr
