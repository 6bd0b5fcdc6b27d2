from django.db import models
from django.utils import timezone

from dentalai.models import ObjectIdModel


class KnowledgeArticle(ObjectIdModel):
    """One article of the clinic's knowledge base: the only source the agent answers from."""

    title = models.CharField(max_length=200, unique=True)
    body = models.TextField()
    # One vector per sentence from the local model (agent.knowledge), remade when the text changes.
    embedding = models.JSONField(null=True, blank=True, editable=False)
    embedding_source_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title
