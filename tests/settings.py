"""Settings for the test-suite: the test graphs and a throw-away data directory."""
import os
import tempfile
from pathlib import Path

_HERE = Path(__file__).resolve().parent
os.environ.setdefault("LANGGRAPH_CONFIG", str(_HERE / "graphs" / "langgraph.json"))
os.environ.setdefault("AGENTSERVER_DATA_DIR", tempfile.mkdtemp(prefix="agentserver-tests-"))

from agentserver.settings import *  # noqa: E402, F403

# Users made by tests (admin_client, API-key owners) need no slow, secure hashing.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No cron scheduler in the pytest process (in-process tests fire crons by hand); live servers have one.
AGENTSERVER = {**AGENTSERVER, "CRON_SCHEDULER": False}  # noqa: F405
# The pytest process starts servers, browsers and Node.js: it keeps every CPU (live servers, started
# with the environment, keep the default).
AGENTSERVER.setdefault("CPU_AFFINITY", "off")
AGENTSERVER.setdefault("GC_TUNING", False)  # nor is its collector tuned (live servers: the default)

# On PostgreSQL the test database is named after the configured one (<name>_test, like the live
# server's <name>_live), so whatever a test does to it stays within that name's prefix.
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f'{DATABASES["default"]["NAME"]}_test'}  # noqa: F405
