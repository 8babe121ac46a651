"""Writes of assistants.

Every change of an assistant's configuration is recorded as an ``AssistantVersion``; the assistant
row holds the live copy of one of them (``version``).
"""
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from agentserver.api.exceptions import AlreadyExists, NotFound, ServiceError
from agentserver.api.fields import uuid_or_422
from agentserver.graphs import registry
from agentserver.ids import system_assistant_id
from assistants import hooks
from assistants.models import Assistant, AssistantVersion
from assistants.selectors import require_graph

CONFIGURABLE_AND_CONTEXT = (
    "Cannot specify both configurable and context. Prefer setting context alone. Context was "
    "introduced in LangGraph 0.6.0 and is the long term planned replacement for configurable."
)


@transaction.atomic
def sync_system_assistants():
    """One system assistant per graph in langgraph.json, with the reference's deterministic id.

    Idempotent: existing system assistants are left as they are."""
    created = []
    for graph_id in registry.graph_ids():
        now = timezone.now()
        assistant, was_created = Assistant.objects.get_or_create(
            assistant_id=system_assistant_id(graph_id),
            defaults={"graph_id": graph_id, "name": graph_id, "metadata": {"created_by": "system"},
                      "created_at": now, "updated_at": now},
        )
        if was_created:
            _record_version(assistant)
            created.append(assistant)
    return created


def _record_version(assistant):
    """Snapshot the assistant's current fields as version ``assistant.version``."""
    return AssistantVersion.objects.create(
        assistant=assistant,
        version=assistant.version,
        graph_id=assistant.graph_id,
        name=assistant.name,
        description=assistant.description,
        config=assistant.config,
        context=assistant.context,
        metadata=assistant.metadata,
        created_at=assistant.updated_at,
    )


def _reconcile(*, config, context):
    """``config.configurable`` and ``context`` mirror each other; giving both is a 400."""
    config = dict(config or {})
    if config.get("configurable") and context:
        raise ServiceError(CONFIGURABLE_AND_CONTEXT, status_code=400)
    if config.get("configurable"):
        context = config["configurable"]
    elif context:
        config["configurable"] = context
    return config, context


def _on_conflict(*, existing, if_exists, filters=None):
    visible = not filters or Assistant.objects.visible(filters).filter(pk=existing.pk).exists()
    if if_exists == "do_nothing" and visible:
        return existing
    raise AlreadyExists(f"Assistant {existing.assistant_id} already exists")


def create_assistant(*, graph_id, assistant_id=None, config=None, context=None, metadata=None,
                     if_exists="raise", name=None, description=None, filters=None):
    """Create an assistant (version 1); ``if_exists`` decides what an existing id means (an existing
    assistant the authorization ``filters`` hide is a conflict whatever ``if_exists`` says)."""
    assistant_id = uuid_or_422(assistant_id, what="assistant") if assistant_id is not None else None
    require_graph(graph_id=graph_id)
    config, context = _reconcile(config=config, context=context)
    if assistant_id is not None:
        existing = Assistant.objects.filter(pk=assistant_id).first()
        if existing is not None:
            return _on_conflict(existing=existing, if_exists=if_exists, filters=filters)
    now = timezone.now()
    fields = {"graph_id": graph_id, "config": config, "context": context or {}, "metadata": metadata or {},
              "name": name or "Untitled", "description": description, "version": 1,
              "created_at": now, "updated_at": now}
    if assistant_id is not None:
        fields["assistant_id"] = assistant_id
    try:
        with transaction.atomic():
            assistant = Assistant.objects.create(**fields)
            _record_version(assistant)
    except IntegrityError:
        existing = Assistant.objects.filter(pk=assistant_id).first() if assistant_id else None
        if existing is None:
            raise
        return _on_conflict(existing=existing, if_exists=if_exists, filters=filters)
    return assistant


def _locked_assistant(*, assistant_id, filters=None):
    assistant = Assistant.objects.visible(filters).select_for_update().filter(pk=assistant_id).first()
    if assistant is None:
        raise NotFound(f"Assistant {assistant_id} not found")
    return assistant


def update_assistant(*, assistant_id, graph_id=None, config=None, context=None, metadata=None,
                     name=None, description=None, filters=None):
    """PATCH: a new version (max + 1) made current; metadata is merged, other fields replaced."""
    if graph_id is not None:
        require_graph(graph_id=graph_id)
    config, context = _reconcile(config=config, context=context)
    with transaction.atomic():
        assistant = _locked_assistant(assistant_id=assistant_id, filters=filters)
        latest = assistant.versions.aggregate(latest=Max("version"))["latest"] or 0
        if graph_id is not None:
            assistant.graph_id = graph_id
        if config:
            assistant.config = config
        if context is not None:
            assistant.context = context
        if metadata:
            assistant.metadata = {**assistant.metadata, **metadata}
        if name is not None:
            assistant.name = name
        if description is not None:
            assistant.description = description
        assistant.version = latest + 1
        assistant.updated_at = timezone.now()
        assistant.save()
        _record_version(assistant)
    return assistant


def set_latest_version(*, assistant_id, version, filters=None):
    """Make an existing version the live configuration of the assistant."""
    with transaction.atomic():
        assistant = _locked_assistant(assistant_id=assistant_id, filters=filters)
        snapshot = assistant.versions.filter(version=version).first()
        if snapshot is None:
            raise NotFound(f"Version {version} not found for assistant {assistant_id}")
        for field in ("graph_id", "config", "context", "metadata", "name", "description", "version"):
            setattr(assistant, field, getattr(snapshot, field))
        assistant.updated_at = timezone.now()
        assistant.save()
    return assistant


def delete_assistant(*, assistant_id, delete_threads=False, filters=None, thread_filters=None):
    """Delete an assistant and its versions; its active runs are cancelled (interrupt).

    With ``delete_threads``, threads whose ``metadata.assistant_id`` is this assistant go too (those
    the authorization ``thread_filters`` let through)."""
    if not Assistant.objects.visible(filters).filter(pk=assistant_id).exists():
        raise NotFound(f"Assistant with ID {assistant_id} not found")
    if delete_threads:
        _delete_threads_of(assistant_id=assistant_id, filters=thread_filters)
    _cancel_runs_of(assistant_id=assistant_id)
    Assistant.objects.filter(pk=assistant_id).delete()


def _cancel_runs_of(*, assistant_id):
    hooks.dependents().cancel_runs(assistant_id=assistant_id)


def _delete_threads_of(*, assistant_id, filters=None):
    """Threads created for this assistant, with their runs, events and checkpoints."""
    return hooks.dependents().delete_threads(assistant_id=assistant_id, filters=filters)
