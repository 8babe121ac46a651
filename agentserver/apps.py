from django.apps import AppConfig


class AgentServerConfig(AppConfig):
    name = "agentserver"
    verbose_name = "agentserver"

    def ready(self):
        from agentserver import checks  # noqa: F401 - registers the system checks
