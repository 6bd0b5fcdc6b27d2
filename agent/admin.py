from django.contrib import admin

from agent.knowledge import article_hash
from agent.models import KnowledgeArticle


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "excerpt", "updated_at")
    search_fields = ("title", "body")
    ordering = ("title",)
    date_hierarchy = "updated_at"
    fields = ("title", "body", "embedded", "id", "created_at", "updated_at")
    readonly_fields = ("embedded", "id", "created_at", "updated_at")

    def get_queryset(self, request):
        # Embeddings are long vectors; no page here shows them.
        return super().get_queryset(request).defer("embedding")

    @admin.display(description="article")
    def excerpt(self, obj):
        return obj.body if len(obj.body) <= 100 else f"{obj.body[:99]}…"

    @admin.display(boolean=True, description="sentence vectors up to date")
    def embedded(self, obj):
        return obj.embedding_source_hash == article_hash(obj.title, obj.body)
