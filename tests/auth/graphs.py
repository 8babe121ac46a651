"""whoami: the caller as the graph sees it (config.configurable.langgraph_auth_*)."""
from typing import TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph


class WhoState(TypedDict, total=False):
    identity: str
    attr_identity: str
    user_id: str
    permissions: list
    owner: str


def who(state: WhoState, config: RunnableConfig):
    configurable = config["configurable"]
    user = configurable.get("langgraph_auth_user")
    return {"identity": user["identity"] if user else "", "attr_identity": getattr(user, "identity", ""),
            "user_id": configurable.get("langgraph_auth_user_id", ""),
            "permissions": list(configurable.get("langgraph_auth_permissions") or []),
            "owner": (config.get("metadata") or {}).get("owner", "")}


_builder = StateGraph(WhoState)
_builder.add_node("who", who)
_builder.add_edge(START, "who")
_builder.add_edge("who", END)
whoami = _builder.compile()
