"""A deterministic example graph, so the server is useful before you write your own.

``echo`` answers each human message with "echo: <text>"; ``counter`` streams a few custom events.
Neither calls an LLM or the network.
"""
import operator
from typing import Annotated, TypedDict

from langchain_core.messages import AIMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, MessagesState, StateGraph


def _reply(state: MessagesState):
    last = next((m for m in reversed(state["messages"]) if m.type == "human"), None)
    text = last.content if last is not None else ""
    return {"messages": [AIMessage(content=f"echo: {text}")]}


echo = StateGraph(MessagesState).add_node("reply", _reply).add_edge(START, "reply").add_edge("reply", END).compile()


class CounterState(TypedDict, total=False):
    steps: int
    seen: Annotated[list[int], operator.add]


def _count(state: CounterState):
    write = get_stream_writer()
    total = state.get("steps") or 3
    for i in range(total):
        write({"tick": i, "of": total})
    return {"seen": list(range(total))}


counter = StateGraph(CounterState).add_node("count", _count).add_edge(START, "count").add_edge("count", END).compile()
