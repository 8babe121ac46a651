"""Deterministic benchmark graphs (no LLM, no network), served by agentserver and by `langgraph dev`.

* ``noop``: one node, one tiny update: ``{"n": 1}``.
* ``emit``: one node that sends ``n`` custom events ``{"i": 0}``, ``{"i": 1}``, ... through
  ``get_stream_writer`` (``n`` from the input, default 20000), then writes ``{"count": n}``.
* ``ticks``: one node that sends ``n`` custom events ``{"i": k}``, one every ``delay`` seconds (input;
  default 20 x 0.05 s): a run that lasts long enough for clients to join it.
* ``tokens``: a fake streaming chat model (``GenericFakeChatModel``) answering with a fixed message of
  ``words`` words (default 100); the model streams each word and each space as its own chunk, so
  ``messages-tuple`` yields about ``2 * words`` chunks.

``expected_tokens_text(words)`` is what the chunks of ``tokens`` concatenate to; the load generator and
the in-process baseline use it to check what they counted.
"""
from typing import TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, MessagesState, StateGraph

EMIT_DEFAULT = 20000
TOKENS_DEFAULT_WORDS = 100


# ---------------- noop ----------------
class NoopState(TypedDict, total=False):
    n: int


async def _noop(state: NoopState):
    return {"n": 1}


noop = StateGraph(NoopState).add_node("noop", _noop).add_edge(START, "noop").add_edge("noop", END).compile()


# ---------------- emit ----------------
class EmitState(TypedDict, total=False):
    n: int
    count: int


async def _emit(state: EmitState):
    write = get_stream_writer()
    n = state.get("n") or EMIT_DEFAULT
    for i in range(n):
        write({"i": i})
    return {"count": n}


emit = StateGraph(EmitState).add_node("emit", _emit).add_edge(START, "emit").add_edge("emit", END).compile()


# ---------------- ticks ----------------
class TicksState(TypedDict, total=False):
    n: int
    delay: float
    count: int


async def _ticks(state: TicksState):
    import asyncio

    write = get_stream_writer()
    n = state.get("n") or 20
    for i in range(n):
        write({"i": i})
        await asyncio.sleep(state.get("delay") or 0.05)
    return {"count": n}


ticks = StateGraph(TicksState).add_node("ticks", _ticks).add_edge(START, "ticks").add_edge("ticks", END).compile()


# ---------------- tokens ----------------
_WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
    "quebec romeo sierra tango uniform victor whiskey xray yankee zulu"
).split()


def expected_tokens_text(words=TOKENS_DEFAULT_WORDS):
    return " ".join(f"{_WORDS[i % len(_WORDS)]}{i}" for i in range(words))


class TokensState(MessagesState, total=False):
    words: int


async def _chat(state: TokensState):
    text = expected_tokens_text(state.get("words") or TOKENS_DEFAULT_WORDS)
    model = GenericFakeChatModel(messages=iter([AIMessage(content=text)]))
    # Inside a graph with stream_mode "messages" the model streams its chunks through callbacks.
    reply = await model.ainvoke(state["messages"])
    return {"messages": [reply]}


tokens = StateGraph(TokensState).add_node("chat", _chat).add_edge(START, "chat").add_edge("chat", END).compile()
