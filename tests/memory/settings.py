"""Settings of the memory test server: the scheduler and the sweepers tick fast."""
from tests.settings import *  # noqa: F401,F403
from tests.settings import AGENTSERVER

AGENTSERVER = {**AGENTSERVER, "CRON_SCHEDULER": True, "CRON_POLL_SECONDS": 0.5, "SWEEP_SECONDS": 1.0}
