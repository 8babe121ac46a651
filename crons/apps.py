from django.apps import AppConfig


class CronsConfig(AppConfig):
    name = "crons"
    label = "crons"
    verbose_name = "Crons"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from agentserver.signals import executor_started
        from crons.scheduler import start_on_executor

        executor_started.connect(start_on_executor, dispatch_uid="crons.scheduler")
