"""A task's checkpoint writes are stored all or nothing, on both databases.

The reported defect (SQLite): the checkpointer's connection is in autocommit mode, so each write row
committed on its own; a kill -9 in the middle left part of a task's writes, and the retried run
took the task as done and ended ``success`` with a wrong state. Here the failure in the middle is
a value that fails (to serialise on SQLite, to be stored on PostgreSQL) after the first row."""
import uuid

import pytest

from agentserver import persistence, runtime


async def _fail_on_channel(channel, *, on):
    """A trigger that makes the database refuse the write row of ``channel`` (after the rows before
    it were inserted): the stand-in for a crash in the middle of a task's writes."""
    cp = await persistence.get_checkpointer()
    if persistence._is_postgres():
        async with cp.conn.connection() as conn:
            if on:
                await conn.execute(
                    "CREATE OR REPLACE FUNCTION reliab_refuse() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.channel = '{channel}' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ "
                    "LANGUAGE plpgsql")
                await conn.execute("CREATE TRIGGER reliab_refuse BEFORE INSERT ON checkpoint_writes "
                                   "FOR EACH ROW EXECUTE FUNCTION reliab_refuse()")
            else:
                await conn.execute("DROP TRIGGER IF EXISTS reliab_refuse ON checkpoint_writes")
    else:
        if on:
            await cp.arun(cp.conn.execute, f"CREATE TEMP TRIGGER reliab_refuse BEFORE INSERT ON writes "
                                  f"WHEN NEW.channel = '{channel}' BEGIN SELECT RAISE(ABORT, 'boom'); END")
        else:
            await cp.arun(cp.conn.execute, "DROP TRIGGER IF EXISTS reliab_refuse")


async def _writes_of(thread_id, checkpoint_id):
    cp = await persistence.get_checkpointer()
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": checkpoint_id}}
    found = await cp.aget_tuple(config)
    return [] if found is None else found.pending_writes


async def _put(thread_id, writes):
    from langgraph.checkpoint.base import empty_checkpoint

    cp = await persistence.get_checkpointer()
    checkpoint = empty_checkpoint()
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    saved = await cp.aput(config, checkpoint, {"source": "loop", "step": 0}, {})
    error = None
    try:
        await cp.aput_writes(saved, writes, task_id=str(uuid.uuid4()))
    except Exception as exc:  # noqa: BLE001 - the test looks at what was stored
        error = exc
    return checkpoint["id"], error


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_writes_fail_midway_leaves_none_of_them():
    persistence.setup()
    thread_id = str(uuid.uuid4())
    runtime.call(_fail_on_channel("b", on=True))
    try:
        checkpoint_id, error = runtime.call(_put(thread_id, [("a", "first"), ("b", "second"), ("c", "third")]))
    finally:
        runtime.call(_fail_on_channel("b", on=False))
    assert error is not None
    assert runtime.call(_writes_of(thread_id, checkpoint_id)) == []


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_writes_succeed_stores_all_of_them():
    persistence.setup()
    thread_id = str(uuid.uuid4())
    checkpoint_id, error = runtime.call(_put(thread_id, [("a", 1), ("b", 2), ("c", 3)]))
    assert error is None
    assert sorted((channel, value) for _, channel, value in runtime.call(_writes_of(thread_id, checkpoint_id))) == \
        [("a", 1), ("b", 2), ("c", 3)]
