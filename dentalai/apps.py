from django.apps import AppConfig


class DentalaiConfig(AppConfig):
    name = "dentalai"
    verbose_name = "Staff and audit"
