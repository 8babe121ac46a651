"""Garbage-collector tuning (agentserver.gctune): a server process freezes what start-up made and
collects less often; AGENTSERVER_GC_TUNING=0 leaves CPython's defaults. Checked in a fresh process
(the pytest process keeps its own collector as it is)."""
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PROBE = """
import gc, json, django
django.setup()
from agentserver import gctune
before = gc.get_threshold()
result = gctune.tune_configured()
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count(),
                  "result": result}))
"""


def probe(**env):
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "agentserver.settings", **env}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=environ, capture_output=True,
                         text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("value", [None, "1"])
def test_a_server_process_freezes_its_heap_and_collects_less_often(value):
    got = probe(**({"AGENTSERVER_GC_TUNING": value} if value else {}))
    assert got["after"] == [20_000, 20, 20] == got["result"]
    assert got["frozen"] > 10_000  # Django and LangGraph, imported at start-up


def test_off_leaves_the_collector_as_it_is():
    got = probe(AGENTSERVER_GC_TUNING="0")
    assert got["after"] == got["before"] and got["frozen"] == 0 and got["result"] is None
