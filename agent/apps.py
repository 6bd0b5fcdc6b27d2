from django.apps import AppConfig

from agent.conf import agent_settings


class AgentConfig(AppConfig):
    name = "agent"
    verbose_name = "AI agent"

    def ready(self):
        # A bad AGENT_*/OPENAI_*/SEND_WINDOW_* value stops start-up, naming the variable.
        agent_settings()
