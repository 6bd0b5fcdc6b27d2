"""The knowledge base's sentence vectors: stored on the article rows at import, reused by every
worker, and remade only for an article whose text changed."""

import pytest

from agent import embeddings
from agent.knowledge import KnowledgeBase, article_hash, kb_cache_clear, passages_of
from agent.models import KnowledgeArticle
from agent.retrieval import answer_text, retrieve
from tests.agent_fixtures import agent_environment, kb  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kb")]


def test_import_stores_one_current_vector_per_sentence():
    for i, row in enumerate(KnowledgeArticle.objects.all()):
        sentences = passages_of(i, row)
        assert row.embedding["rows"] == len(sentences)
        assert row.embedding_source_hash == article_hash(row.title, row.body)


def test_a_worker_reuses_the_stored_vectors_without_embedding_again():
    kb_cache_clear()
    embeddings._passages.clear()

    knowledge = KnowledgeBase.from_db()

    assert embeddings._passages == {}
    assert knowledge.matrix.shape == (len(knowledge.passages), embeddings.DIMENSIONS)


def test_an_edited_article_is_embedded_again_on_first_use_and_only_it():
    before = {r.title: r.embedding for r in KnowledgeArticle.objects.all()}
    edited = KnowledgeArticle.objects.get(title="Location and Parking")
    edited.body = "Parking is now in the garage on Elm Street. It is free for patients."
    edited.save()
    kb_cache_clear()

    knowledge = KnowledgeBase.from_db()

    after = {r.title: r for r in KnowledgeArticle.objects.all()}
    assert after["Location and Parking"].embedding["rows"] == 2
    assert after["Location and Parking"].embedding_source_hash == article_hash(
        edited.title, edited.body
    )
    assert all(after[t].embedding == v for t, v in before.items() if t != "Location and Parking")
    question = "is the garage on elm street free?"
    (best, *_) = retrieve(knowledge, question, embeddings.embed_queries([question])[0])
    assert knowledge.articles[best.article].title == "Location and Parking"
    assert "Elm Street" in answer_text(knowledge, best)
