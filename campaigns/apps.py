from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self):
        from campaigns import receivers  # noqa: F401 (connecting them is importing them)
