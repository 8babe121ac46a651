"""What runs provide to the apps below them (threads, assistants), registered in RunsConfig.ready."""
from runs.models import Run
from runs.selectors import wait_until_finished


class RunsOnThreads:
    """``threads.hooks.RunsOnThreads``: the runs in flight on threads, and stopping them."""

    def in_flight(self, *, thread_ids):
        found = {}
        for thread_id, run_id in Run.objects.active().filter(thread_id__in=list(thread_ids)).values_list("thread_id", "run_id"):
            found.setdefault(thread_id, []).append(run_id)
        return found

    def cancel_and_wait(self, *, thread_ids, timeout):
        from runs.services import cancel_runs

        run_ids = list(Run.objects.active().filter(thread_id__in=list(thread_ids)).values_list("run_id", flat=True))
        if run_ids:
            cancel_runs(run_ids=run_ids, action="interrupt")
        wait_until_finished(run_ids=run_ids, timeout=timeout)


class AssistantDependents:
    """``assistants.hooks.AssistantDependents``: an assistant's runs and threads, for its deletion."""

    def cancel_runs(self, *, assistant_id):
        from runs.services import cancel_runs

        run_ids = list(Run.objects.active().filter(assistant_id=assistant_id).values_list("run_id", flat=True))
        if run_ids:
            cancel_runs(run_ids=run_ids, action="interrupt")

    def delete_threads(self, *, assistant_id, filters=None):
        from threads.models import Thread
        from threads.services import prune_threads

        thread_ids = list(
            Thread.objects.visible(filters).filter(metadata__assistant_id=str(assistant_id)).values_list("thread_id", flat=True)
        )
        if thread_ids:
            prune_threads(thread_ids=thread_ids, strategy="delete")
        return thread_ids


def register():
    from assistants import hooks as assistant_hooks
    from threads import hooks as thread_hooks

    thread_hooks.register(RunsOnThreads())
    assistant_hooks.register(AssistantDependents())
