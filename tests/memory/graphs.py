"""memory: a graph that reads and writes the long-term store (``runtime.store``).

Input ``{"user": "u1", "remember": "likes tea"}`` stores a memory under ("memories", user); every
run returns (in ``recalled``) all memories of that user found in the store, including ones written
through the API."""
from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime


class MemoryState(TypedDict, total=False):
    user: str
    remember: str
    recalled: list[str]


async def remember(state: MemoryState, runtime: Runtime):
    namespace = ("memories", state.get("user") or "anonymous")
    if state.get("remember"):
        key = f"m{len(await runtime.store.asearch(namespace, limit=1000))}"
        await runtime.store.aput(namespace, key, {"text": state["remember"], "source": "graph"})
    items = await runtime.store.asearch(namespace, limit=1000)
    return {"recalled": sorted(item.value["text"] for item in items)}


_builder = StateGraph(MemoryState)
_builder.add_node("remember", remember)
_builder.add_edge(START, "remember")
_builder.add_edge("remember", END)
memory = _builder.compile()
