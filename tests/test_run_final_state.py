"""A run's end mirrors the state it left into the thread row, read through the run's own graph:
a factory graph is built once per run, not again to read that state."""
import contextlib
import uuid

from agentserver import graphs
from runs.models import Run, RunStatus
from threads.models import Thread


def _create(graph_id):
    from runs.serializers import RunCreateSerializer
    from runs.services import create_run

    serializer = RunCreateSerializer(data={"assistant_id": graph_id, "input": {}, "if_not_exists": "create"})
    assert serializer.is_valid(), serializer.errors
    return create_run(payload=dict(serializer.validated_data), thread_id=uuid.uuid4())


def test_a_factory_is_built_once_per_run_and_its_state_mirrored(live_executor, monkeypatch):
    from tests.factories import wait_for

    built = []
    resolve = graphs._resolve

    @contextlib.asynccontextmanager
    async def counting(spec, config, runtime=None):
        built.append(runtime.access_context if runtime is not None else None)
        async with resolve(spec, config, runtime) as graph:
            yield graph

    monkeypatch.setattr(graphs, "_resolve", counting)
    run = _create("runtime_factory")
    wait_for(lambda: Run.objects.filter(pk=run.pk, status=RunStatus.SUCCESS).exists(), timeout=15, what="the run")
    assert built == ["threads.create_run"]  # not a second build (for threads.read) to read the state
    thread = Thread.objects.get(pk=run.thread_id)
    assert thread.values == {"access_context": "threads.create_run", "context": {}, "has_store": True}
    assert thread.status == "idle"
