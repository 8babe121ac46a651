"""Deterministic graphs the test-suite runs (no LLM, no network)."""
import asyncio
import contextlib
import operator
from dataclasses import dataclass
from typing import Annotated, TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt
from langgraph_sdk.runtime import ServerRuntime


def _chain(state_type, *nodes):
    builder = StateGraph(state_type)
    previous = START
    for fn in nodes:
        builder.add_node(fn.__name__, fn)
        builder.add_edge(previous, fn.__name__)
        previous = fn.__name__
    builder.add_edge(previous, END)
    return builder


def _last_human(messages):
    for message in reversed(messages):
        if message.type == "human":
            return message.content
    return ""


# echo: one AI message answering the last human one.
def reply(state: MessagesState):
    return {"messages": [AIMessage(content=f"echo: {_last_human(state['messages'])}")]}


echo = _chain(MessagesState, reply).compile()


# steps: three nodes, each bumping a counter and writing two custom events.
class StepsState(TypedDict, total=False):
    counter: int
    log: Annotated[list[str], operator.add]


def _step(name):
    def node(state: StepsState):
        write = get_stream_writer()
        write({"node": name, "phase": "start"})
        counter = (state.get("counter") or 0) + 1
        write({"node": name, "phase": "end", "counter": counter})
        return {"counter": counter, "log": [name]}

    node.__name__ = name
    return node


steps = _chain(StepsState, _step("one"), _step("two"), _step("three")).compile()


# slow: `n` custom ticks `delay` seconds apart, optionally failing at the end.
class SlowState(TypedDict, total=False):
    n: int
    delay: float
    fail: bool
    ticks: Annotated[list[int], operator.add]


async def tick(state: SlowState):
    write = get_stream_writer()
    done = []
    for i in range(state.get("n") or 5):
        await asyncio.sleep(state.get("delay") or 0.1)
        write({"tick": i})
        done.append(i)
    if state.get("fail"):
        raise RuntimeError("slow failed on purpose")
    return {"ticks": done}


def after(state: SlowState):
    return {"ticks": [-1]}


slow = _chain(SlowState, tick, after).compile()


# fail: the second node raises.
class FailState(TypedDict, total=False):
    x: int


def ok(state: FailState):
    return {"x": (state.get("x") or 0) + 1}


def boom(state: FailState):
    raise ValueError("boom: deliberate failure")


fail = _chain(FailState, ok, boom).compile()


# hitl: asks a question with interrupt(), then finishes.
class HitlState(TypedDict, total=False):
    question: str
    answer: str
    done: bool


def ask(state: HitlState):
    return {"answer": interrupt({"question": state.get("question") or "approve?"})}


def finish(state: HitlState):
    return {"done": True}


hitl = _chain(HitlState, ask, finish).compile()


# sub: a parent graph with a child subgraph that writes a custom event.
class ParentState(TypedDict, total=False):
    value: str
    trail: Annotated[list[str], operator.add]


class ChildState(TypedDict, total=False):
    value: str


def child_a(state: ChildState):
    get_stream_writer()({"in": "child_a"})
    return {"value": (state.get("value") or "") + "+a"}


def child_b(state: ChildState):
    return {"value": (state.get("value") or "") + "+b"}


def pre(state: ParentState):
    return {"value": (state.get("value") or "") + "+pre", "trail": ["pre"]}


def post(state: ParentState):
    return {"value": (state.get("value") or "") + "+post", "trail": ["post"]}


_child = _chain(ChildState, child_a, child_b).compile()
_parent = StateGraph(ParentState)
_parent.add_node("pre", pre)
_parent.add_node("child", _child)
_parent.add_node("post", post)
_parent.add_edge(START, "pre")
_parent.add_edge("pre", "child")
_parent.add_edge("child", "post")
_parent.add_edge("post", END)
sub = _parent.compile()


# chat: a fake chat model that streams tokens.
def chat_node(state: MessagesState):
    text = f"Hello there! You said: {_last_human(state['messages'])}"
    model = GenericFakeChatModel(messages=iter([AIMessage(content=text)]))
    return {"messages": [model.invoke(state["messages"])]}


chat = _chain(MessagesState, chat_node).compile()


# builder: an uncompiled StateGraph (the server compiles it).
builder = _chain(FailState, ok)


# factory: a callable taking the run's config.
def make_graph(config):
    return _chain(FailState, ok).compile()


# ctx: a graph with a context_schema whose defaults a run without context sees.
@dataclass
class ModelContext:
    model: str = "default-model"
    temperature: float = 0.5


class CtxState(TypedDict, total=False):
    model: str
    temperature: float


def read_context(state: CtxState, runtime: Runtime[ModelContext]):
    return {"model": runtime.context.model, "temperature": runtime.context.temperature}


ctx = StateGraph(CtxState, context_schema=ModelContext)
ctx.add_node("read_context", read_context)
ctx.add_edge(START, "read_context")
ctx.add_edge("read_context", END)
ctx = ctx.compile()


# runtime_factory: a factory taking a ServerRuntime; the graph reports how it was built.
class BuiltState(TypedDict, total=False):
    access_context: str
    context: dict
    has_store: bool


def make_runtime_graph(runtime: ServerRuntime):
    execution = runtime.execution_runtime
    seen = {"access_context": runtime.access_context, "context": dict(execution.context or {}) if execution else {},
            "has_store": runtime.store is not None}

    def built(state: BuiltState):
        return seen

    return _chain(BuiltState, built).compile()


# config_runtime_factory: an async context manager taking (config, runtime).
@contextlib.asynccontextmanager
async def make_config_runtime_graph(config, runtime: ServerRuntime):
    seen = {"access_context": runtime.access_context,
            "context": {"graph_id": config["configurable"].get("graph_id")}}

    def built(state: BuiltState):
        return seen

    yield _chain(BuiltState, built).compile()


# failing_factory: builds for reads (schemas, state) but raises when a run executes it.
def make_failing_graph(runtime: ServerRuntime):
    if runtime.execution_runtime is not None:
        raise RuntimeError("factory failed on purpose")
    return _chain(FailState, ok).compile()


# junk_factory: returns something that is not a graph when a run executes it.
async def make_junk_graph(runtime: ServerRuntime):
    if runtime.execution_runtime is not None:
        return "not a graph"
    return _chain(FailState, ok).compile()
