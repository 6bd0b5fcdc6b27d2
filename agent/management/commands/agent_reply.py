from django.core.management.base import BaseCommand, CommandError

from agent.services import agent_handle_reply
from campaigns.models import Campaign, Interaction


class Command(BaseCommand):
    help = (
        "Feed a patient reply to a campaign, as if it came in on its channel, and run the agent "
        "on it (the reply goes through the configured backend: the outbox in development)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Campaign id.")
        parser.add_argument("--text", required=True, help="What the patient wrote.")

    def handle(self, *args, **options):
        if not Campaign.objects.filter(pk=options["campaign"]).exists():
            raise CommandError(f"No campaign {options['campaign']}.")
        run = agent_handle_reply(campaign_id=options["campaign"], text=options["text"])
        campaign = Campaign.objects.get(pk=options["campaign"])
        self.stdout.write(f"outcome: {run.outcome}")
        self.stdout.write(f"action: {run.action or '-'}")
        self.stdout.write(f"campaign status: {campaign.status}")
        if run.sent_interaction_id:
            sent = Interaction.objects.get(pk=run.sent_interaction_id)
            self.stdout.write(f"sent ({sent.delivery_status}):")
            self.stdout.write(sent.content)
