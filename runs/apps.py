from django.apps import AppConfig


def _start_embedded_executor(sender, **kwargs):
    from agentserver import runtime
    from agentserver.conf import agent_settings
    from runs.executor import start_executor

    if agent_settings.EXECUTOR == "embedded":
        from agentserver.signals import executor_started

        executor = runtime.call(start_executor())
        executor_started.send(sender="server", executor=executor)


def _drain_embedded_executor(sender, **kwargs):
    from agentserver import runtime
    from agentserver.conf import agent_settings
    from runs.executor import stop_executor

    if agent_settings.EXECUTOR == "embedded":
        runtime.call(stop_executor(grace=agent_settings.SHUTDOWN_GRACE_SECONDS),
                     timeout=agent_settings.SHUTDOWN_GRACE_SECONDS + 30)


class RunsConfig(AppConfig):
    name = "runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from agentserver.signals import executor_started, server_starting, server_stopping
        from runs import hooks
        from runs.webhook_policy import check_config

        hooks.register()
        server_starting.connect(_start_embedded_executor, dispatch_uid="runs.start_executor")
        executor_started.connect(check_config, dispatch_uid="runs.webhook_policy")
        server_stopping.connect(_drain_embedded_executor, dispatch_uid="runs.drain_executor")
