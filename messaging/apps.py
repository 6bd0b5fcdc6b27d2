from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self):
        from messaging.conf import messaging_settings

        # A malformed GMAIL_*/PUBSUB_*/TWILIO_*/SEND_* value stops start-up, naming the variable.
        messaging_settings()
