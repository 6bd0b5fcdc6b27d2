from messaging.backends import Backend, OutgoingMessage, SendResult
from messaging.models import OutboxMessage


class OutboxBackend(Backend):
    """Keeps the message in the database (OutboxMessage) instead of sending it."""

    def send(self, message: OutgoingMessage) -> SendResult:
        subject = message.subject
        if message.template_sid:
            # What Twilio would send is the approved template; say which, for staff.
            subject = f"WhatsApp template {message.template_sid}"
        stored = OutboxMessage.objects.create(
            channel=message.channel,
            to=message.to,
            subject=subject,
            body=message.body,
            invites=[{"method": i.method, "ical": i.ical} for i in message.invites],
            thread_id=message.thread_id,
            interaction_id=message.interaction_id or None,
        )
        # An email's first message starts a thread, as Gmail would.
        return SendResult(
            message_id=f"outbox-{stored.pk}",
            thread_id=message.thread_id or f"outbox-thread-{stored.pk}",
        )
