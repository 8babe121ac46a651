"""Semantic search with langgraph.json's store.index and a deterministic local embedding
(sqlite-vec on SQLite; on PostgreSQL pgvector, or a start-up error naming the missing extension)."""
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.memory.conftest import HERE, has_pgvector, memory_env, semantic_search_available

needs_index = pytest.mark.skipif(not semantic_search_available(), reason="PostgreSQL without pgvector")


@needs_index
async def test_semantic_search_ranks_by_similarity(msdk):
    ns = ["docs", uuid.uuid4().hex[:8]]
    for key, text in (("a", "aaaa aaaa"), ("b", "bbbb bbbb"), ("ab", "abab abab"), ("c", "cccc")):
        await msdk.store.put_item(ns, key=key, value={"text": text, "kind": "doc"})
    await msdk.store.put_item(ns, key="hidden", value={"text": "aaaa"}, index=False)
    found = await msdk.store.search_items(ns, query="aaa", limit=3)
    keys = [item["key"] for item in found["items"]]
    assert keys[:2] == ["a", "ab"]
    scores = [item["score"] for item in found["items"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1]
    filtered = await msdk.store.search_items(ns, query="bbb", filter={"kind": "doc"}, limit=1)
    assert [item["key"] for item in filtered["items"]] == ["b"]


@pytest.mark.skipif(semantic_search_available(), reason="only where pgvector is missing")
def test_missing_pgvector_stops_startup_naming_the_extension():
    data_dir = Path(tempfile.mkdtemp(prefix="agentserver-novector-"))
    env = memory_env(data_dir, suffix="_novector", LANGGRAPH_CONFIG=str(HERE / "langgraph.json"))
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    result = subprocess.run([sys.executable, "manage.py", "worker"], check=False, cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "'vector' (pgvector)" in result.stderr + result.stdout
    assert not has_pgvector()
