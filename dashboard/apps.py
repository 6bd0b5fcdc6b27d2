from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The staff dashboard: server-rendered pages over the same services as the API."""

    name = "dashboard"
    verbose_name = "Staff dashboard"
