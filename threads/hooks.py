"""What threads need to know about the runs on them, provided by the app above (``runs``).

Threads sit below runs: they never import them. The runs app registers a ``RunsOnThreads`` at start
(``RunsConfig.ready``); without one (threads alone) no thread has a run."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol
from uuid import UUID


class RunsOnThreads(Protocol):
    def in_flight(self, *, thread_ids: Iterable[UUID]) -> dict[UUID, list[UUID]]:
        """Pending or running runs per thread (threads without any are left out)."""

    def cancel_and_wait(self, *, thread_ids: Iterable[UUID], timeout: float) -> None:
        """Interrupt the threads' runs and wait up to ``timeout`` s for running ones to stop."""


class _NoRuns:
    def in_flight(self, *, thread_ids):
        return {}

    def cancel_and_wait(self, *, thread_ids, timeout):
        return None


_provider: RunsOnThreads = _NoRuns()


def register(provider: RunsOnThreads) -> None:
    global _provider
    _provider = provider


def runs() -> RunsOnThreads:
    return _provider
