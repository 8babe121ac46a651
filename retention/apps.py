from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "retention"
    label = "retention"
    verbose_name = "Retention"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from agentserver.signals import executor_started
        from retention import services, sweeper
        from threads.signals import thread_ttl_requested

        thread_ttl_requested.connect(services.on_thread_ttl, dispatch_uid="retention.thread_ttl")
        executor_started.connect(sweeper.start_on_executor, dispatch_uid="retention.sweeper")
