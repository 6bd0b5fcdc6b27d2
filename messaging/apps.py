from django.apps import AppConfig

from messaging.conf import messaging_settings


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self):
        # A malformed GMAIL_*/PUBSUB_*/TWILIO_*/SEND_* value stops start-up, naming the variable.
        messaging_settings()
