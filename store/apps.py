from django.apps import AppConfig


class StoreConfig(AppConfig):
    name = "store"
    label = "store"
    verbose_name = "Long-term memory store"

    def ready(self):
        from agentserver.signals import executor_started
        from store.sweeper import start_on_executor

        executor_started.connect(start_on_executor, dispatch_uid="store.ttl_sweeper")
