"""PostgreSQL: the checkpointer's and the store's pool does not check a connection at each borrow
(a round trip per call); a call that meets a terminated session is tried again on a sound one."""
import uuid

import pytest

from agentserver import persistence, runtime

pytestmark = pytest.mark.skipif(not persistence._is_postgres(), reason="needs DATABASE_URL=postgres://…")


def _terminate_other_sessions():
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]
    dsn = f"host={settings['HOST']} port={settings['PORT'] or 5432} user={settings['USER']} dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND pid <> %s AND backend_type = 'client backend'", [settings["NAME"], mine]).fetchall()
    return len(rows)


async def _put_checkpoint(thread_id):
    from langgraph.checkpoint.base import empty_checkpoint

    cp = await persistence.get_checkpointer()
    checkpoint = empty_checkpoint()
    await cp.aput({"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}, checkpoint,
                  {"source": "input", "step": -1}, {})
    return checkpoint["id"]


async def _read_back(thread_id):
    cp, store = await persistence.get_checkpointer(), await persistence.get_store()
    found = await cp.aget_tuple({"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}})
    listed = [item async for item in cp.alist({"configurable": {"thread_id": thread_id}})]
    await store.aput(("reconnect", thread_id), "k", {"v": 1})
    item = await store.aget(("reconnect", thread_id), "k")
    return found.checkpoint["id"], [t.checkpoint["id"] for t in listed], item.value


@pytest.mark.django_db(transaction=True)
def test_calls_after_the_sessions_were_terminated_succeed():
    persistence.setup()
    thread_id = str(uuid.uuid4())
    checkpoint_id = runtime.call(_put_checkpoint(thread_id))
    assert _terminate_other_sessions() >= 1  # the pool's idle connection(s) at least
    assert runtime.call(_read_back(thread_id)) == (checkpoint_id, [checkpoint_id], {"v": 1})
