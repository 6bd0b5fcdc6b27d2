"""Notes staff leave on a conversation for each other. They are never sent to the patient:
they live apart from the conversation's messages (Interaction), which are what gets sent."""

from campaigns.models import Campaign, CampaignNote
from dentalai.audit import audit_record
from dentalai.errors import ApplicationError
from dentalai.models import User

NOTE_MAX = 2000


def campaign_note_add(*, campaign: Campaign, author: User, body: str) -> CampaignNote:
    body = body.strip()
    if not body:
        raise ApplicationError("Write the note first.")
    if len(body) > NOTE_MAX:
        raise ApplicationError(
            f"The note is {len(body)} characters long; a note can be at most {NOTE_MAX}."
        )
    note = CampaignNote.objects.create(campaign=campaign, author=author, body=body)
    audit_record(actor=author, action="campaign_note_add", target=campaign)
    return note
