from django.apps import AppConfig


class ApiAuthConfig(AppConfig):
    name = "apiauth"
    verbose_name = "API authentication"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from agentserver.signals import server_starting
        from apiauth import checks, setup  # noqa: F401 - checks registers the system checks

        setup.install()
        server_starting.connect(setup.load_on_start, dispatch_uid="apiauth.load_on_start")
