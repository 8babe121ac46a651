"""agentserver: a self-hosted LangGraph Agent Server built on Django."""

__version__ = "0.1.0"
