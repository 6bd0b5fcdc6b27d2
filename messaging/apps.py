from django.apps import AppConfig

from messaging.conf import template_kinds_check


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self):
        template_kinds_check()
        # Importing them connects their receivers: the visit messages, the outgoing webhooks,
        # the staff alerts.
        from messaging import asap, outgoing, staff_alerts, visits  # noqa: F401
