from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self):
        from campaigns import receivers  # noqa: F401 (connects them)
        from campaigns.conf import scheduler_settings

        # A bad DAILY_TRIGGER_TIME/FOLLOWUP_*/…_ESTIMATED_VALUE stops start-up, naming it.
        scheduler_settings()
