"""What assistants need from the apps above them (threads, runs), registered by ``RunsConfig.ready``.

Assistants sit below threads and runs and never import them; without a registered provider an
assistant has no threads and no runs."""
from __future__ import annotations

from typing import Protocol
from uuid import UUID


class AssistantDependents(Protocol):
    def cancel_runs(self, *, assistant_id: UUID) -> None:
        """Interrupt the assistant's pending and running runs."""

    def delete_threads(self, *, assistant_id: UUID, filters: dict | None = None) -> list[UUID]:
        """Delete the threads created for the assistant (``metadata.assistant_id``), with their
        runs, events and checkpoints; returns their ids. ``filters``: authorization of the threads
        (``agentserver.api.access``): only the ones it lets through."""


class _Nothing:
    def cancel_runs(self, *, assistant_id):
        return None

    def delete_threads(self, *, assistant_id, filters=None):
        return []


_provider: AssistantDependents = _Nothing()


def register(provider: AssistantDependents) -> None:
    global _provider
    _provider = provider


def dependents() -> AssistantDependents:
    return _provider
