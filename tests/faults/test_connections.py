"""PostgreSQL connections terminated (``pg_terminate_backend``) at random points of a run, several
times: the server's and the workers' sessions (the ORM pool's and the checkpointer's) all go, and
every invariant holds once the run ends. PostgreSQL only."""
import threading
import time

import pytest

from tests.faults.conftest import SEED, points
from tests.faults.harness import needs_postgres, on_postgres
from tests.faults.invariants import check_run, create_run, wait_status

pytestmark = needs_postgres()
TERMINATIONS = 3  # per run (FAULTS_POINTS: more)


def _terminate_during_runs(stack, rng, what):
    at = sorted(rng.uniform(0.0, 1.4) for _ in range(points(TERMINATIONS)))
    why = f"{what}: PostgreSQL sessions terminated at {[round(t, 2) for t in at]} s (FAULTS_SEED={SEED})"
    with stack.client() as client:
        thread_id, run_id = create_run(client)
        wait_status(client, thread_id, run_id, {"running", "success"})
        started, terminated = time.monotonic(), 0
        for point in at:
            time.sleep(max(0.0, started + point - time.monotonic()))
            terminated += stack.terminate_backends()
        assert terminated > 0, why
        check_run(client, thread_id, run_id, stack.reference, why=why)


@pytest.mark.parametrize("layout", ["embedded", "scaled"])
def test_terminated_connections_mid_run(layout, request, rng):
    _terminate_during_runs(request.getfixturevalue(layout), rng, layout)


@pytest.mark.skipif(not on_postgres(), reason="needs DATABASE_URL=postgres://…")
def test_terminated_connections_lose_no_event(live_executor):
    """In process, many terminations during 600 events: the reported defect lost 14-21 of them
    while the run succeeded. (Moved here from test_event_writer.)"""
    import psycopg
    from django.db import connection

    from runs.models import Run, RunStatus
    from streaming.models import Event
    from tests.factories import start_slow_run, wait_for

    run = start_slow_run(n=600, delay=0.002)
    conninfo = connection.settings_dict
    assert conninfo["NAME"].endswith("_test")  # only this test database's sessions are terminated
    dsn = f"host={conninfo['HOST']} port={conninfo['PORT'] or 5432} user={conninfo['USER']} dbname=postgres"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]
    with psycopg.connect(dsn, autocommit=True) as admin:
        for _ in range(6):
            wait_for(lambda: Run.objects.get(pk=run.run_id).status != RunStatus.RUNNING
                     or Event.objects.filter(run_id=run.run_id).count() > 0, what="events")
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                          "AND pid <> pg_backend_pid() AND pid <> %s AND backend_type = 'client backend'",
                          [conninfo["NAME"], mine])
            threading.Event().wait(0.15)
    wait_for(lambda: Run.objects.get(pk=run.run_id).status in (RunStatus.SUCCESS, RunStatus.ERROR),
             timeout=60, what="the run to end")
    assert Run.objects.get(pk=run.run_id).status == RunStatus.SUCCESS
    seqs = list(Event.objects.filter(run_id=run.run_id).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert Event.objects.filter(run_id=run.run_id, event="custom").count() == 600
