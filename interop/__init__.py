"""Interop surfaces beside the LangGraph API: Prometheus metrics, MCP, A2A, custom routes, /docs.

This app sits on top of the others (it uses runs, threads, assistants and streaming; none of them
imports it). ``interop.asgi.wrap`` is the one hook the ASGI entry point calls.
"""
