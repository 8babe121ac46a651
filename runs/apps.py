from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from agentserver.signals import executor_started
        from runs.webhook_policy import check_config

        executor_started.connect(check_config, dispatch_uid="runs.webhook_policy")
