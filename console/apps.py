from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The operator console: worker heartbeats, the dashboard and the admin's static assets."""

    name = "console"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from agentserver import health
        from agentserver.signals import server_starting
        from console import heartbeat
        from runs.signals import executor_started, executor_stopped

        server_starting.connect(heartbeat.on_server_starting, dispatch_uid="console.heartbeat.server")
        executor_started.connect(heartbeat.on_executor_started, dispatch_uid="console.heartbeat.start")
        executor_stopped.connect(heartbeat.on_executor_stopped, dispatch_uid="console.heartbeat.stop")
        health.register_note("workers", heartbeat.workers_note)
