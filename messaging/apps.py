from django.apps import AppConfig

from messaging.conf import template_kinds_check


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self):
        template_kinds_check()
        from messaging import asap, visits  # noqa: F401  (connects the visit receivers)
