"""A cron due while every process was down fires once when a server starts again, not once per tick."""
import asyncio
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import LiveServer, free_port
from tests.memory.conftest import memory_env


def _set_next_run(env, cron_id, when):
    url = env["DATABASE_URL"]
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE crons_cron SET next_run_date = %s WHERE cron_id = %s", (when, cron_id))
        return
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:  # Django stores UUIDs as hex here
        conn.execute("UPDATE crons_cron SET next_run_date = ? WHERE cron_id = ?",
                     (when.strftime("%Y-%m-%d %H:%M:%S.%f"), cron_id.replace("-", "")))


async def test_missed_ticks_fire_once_after_a_restart():
    from langgraph_sdk import get_client

    data_dir = Path(tempfile.mkdtemp(prefix="agentserver-restart-"))
    env = memory_env(data_dir, suffix="_restart")
    server = LiveServer(env, free_port(), data_dir / "server.log").start()
    try:
        client = get_client(url=server.url, api_key=None)
        thread = await client.threads.create()
        cron = await client.crons.create_for_thread(thread["thread_id"], "echo", schedule="0 0 1 1 *",
                                                    input={"messages": []})
    finally:
        server.stop()
    missed = datetime.now(UTC) - timedelta(days=3)  # every-minute crons would have missed thousands
    _set_next_run(env, cron["cron_id"], missed)
    server = LiveServer(env, free_port(), data_dir / "server2.log").start()
    try:
        client = get_client(url=server.url, api_key=None)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not await client.runs.list(thread["thread_id"]):
            await asyncio.sleep(0.3)
        await asyncio.sleep(2)
        runs = await client.runs.list(thread["thread_id"])
        assert len(runs) == 1
        assert datetime.fromisoformat(runs[0]["metadata"]["cron_tick"]) == missed
        after = (await client.crons.search(thread_id=thread["thread_id"]))[0]
        assert datetime.fromisoformat(after["next_run_date"]) > datetime.now(UTC)
    finally:
        server.stop()
