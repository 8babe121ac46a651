from django.apps import AppConfig


def _sync_on_start(sender, **kwargs):
    from assistants.services import sync_system_assistants

    sync_system_assistants()


class AssistantsConfig(AppConfig):
    name = "assistants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from agentserver.signals import server_starting

        server_starting.connect(_sync_on_start, dispatch_uid="assistants.sync_on_start")
