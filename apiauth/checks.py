"""System checks of authentication (tag ``agentserver``: also run at ASGI start-up, where an error
stops the server): the langgraph.json ``auth`` file loads, and the settings make sense with auth on."""
from django.conf import settings
from django.core.checks import Error, Warning, register

from agentserver.conf import agent_settings


@register("agentserver")
def check_auth(app_configs=None, **kwargs):
    from apiauth import setup
    from apiauth.custom import AuthConfigError

    messages = []
    mode = setup.mode()
    if mode == "custom":
        try:
            setup.backend()
        except AuthConfigError as exc:
            return [Error(f"langgraph.json auth: {exc}", hint=f"in {agent_settings.GRAPHS_CONFIG}", id="apiauth.E001")]
        studio = setup.auth_config().get("disable_studio_auth", False)
        if not isinstance(studio, bool):
            messages.append(Warning(f"langgraph.json auth.disable_studio_auth is {studio!r}, not true or false",
                                    hint="agentserver never lets Studio in without your handler either way "
                                         "(see the README's Authentication section)", id="apiauth.W003"))
        if agent_settings.API_KEYS:
            messages.append(Warning("AGENTSERVER_API_KEYS is on but langgraph.json has an auth handler: the handler "
                                    "authenticates every request and API keys are not accepted", id="apiauth.W001"))
    if mode is not None and settings.DEBUG:
        messages.append(Warning("Authentication is on and DEBUG is on: error pages show settings and code",
                                hint="Unset DEBUG in production (see the README's production checklist).",
                                id="apiauth.W002"))
    return messages
