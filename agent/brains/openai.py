"""The OpenAI brain: the openai SDK against OpenAI or any OpenAI-compatible server
(OPENAI_BASE_URL), with an explicit timeout and bounded retries.

Retrieval is by embeddings (stored on KnowledgeArticle, refreshed when an article's text
changes); the decision is structured output parsed into a Pydantic model. Whatever goes wrong —
timeout, 5xx, refusal, unparsable or invalid output — the reply is handed to a person with
reason `ai_unavailable`; it is never dropped.
"""

import json
import logging
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict

from agent import signals
from agent.brains import Conversation, Decision
from agent.brains.offline import sentiment_of, summarize
from agent.choices import Action, HandoffReason
from agent.conf import AgentSettings
from agent.knowledge import Article, KnowledgeBase
from agent.models import KnowledgeArticle
from agent.prompts import DECISION_SYSTEM, HANDOFF_REASONS
from agent.safety import cap, grounded, strip_links
from agent.text import clean_reply

logger = logging.getLogger(__name__)

NAME = "openai"
TOP_ARTICLES = 3
ANSWER_LIMIT = 600
SUMMARY_LIMIT = 400


class AIDecision(BaseModel):
    """What the model must return (structured output)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["OPT_OUT", "CLOSE_DECLINED", "HANDOFF", "ANSWER_QUESTION", "SEND_BOOKING_LINK"]
    intent: str
    sentiment: Literal["positive", "neutral", "negative"]
    confidence: float
    handoff_reason: Literal[HANDOFF_REASONS] | None  # type: ignore[valid-type]
    kb_article: str | None
    answer: str | None
    summary: str


class AIUnavailable(Exception):
    """The model gave no usable answer."""


class OpenAIBrain:
    name = NAME

    def __init__(self, settings: AgentSettings):
        self.settings = settings
        self._client = None

    @property
    def client(self):
        if self._client is None:
            from openai import OpenAI

            if not self.settings.openai_api_key:
                raise AIUnavailable("OPENAI_API_KEY is not set")
            self._client = OpenAI(
                api_key=self.settings.openai_api_key,
                base_url=self.settings.openai_base_url or None,
                timeout=self.settings.openai_timeout_seconds,
                max_retries=self.settings.openai_max_retries,
            )
        return self._client

    # --- Decision ----------------------------------------------------------------------------

    def decide(self, conversation: Conversation, kb: KnowledgeBase) -> Decision:
        body = clean_reply(conversation.reply)
        if signals.is_opt_out(body):
            # Compliance does not wait for a model.
            return Decision(
                action=Action.OPT_OUT,
                intent="opt_out",
                sentiment=sentiment_of(body)[0],
                confidence=1.0,
                brain=NAME,
            )
        try:
            candidates = self.retrieve(body, kb)
            parsed = self._ask(conversation, body, candidates)
            return self._checked(parsed, candidates, conversation, body)
        except Exception as exc:  # any failure is a handoff, never a drop
            logger.warning("openai brain unavailable: %s", type(exc).__name__)
            return Decision(
                action=Action.HANDOFF,
                intent="unknown",
                sentiment=sentiment_of(body)[0],
                confidence=0.0,
                brain=NAME,
                reason=HandoffReason.AI_UNAVAILABLE,
                summary=summarize(conversation, body, HandoffReason.AI_UNAVAILABLE),
                extra={"error": type(exc).__name__},
            )

    def _ask(
        self, conversation: Conversation, body: str, candidates: list[tuple[Article, float]]
    ) -> AIDecision:
        document = {
            "clinic": conversation.clinic_name,
            "patient_first_name": conversation.first_name,
            "campaign": {
                "type": conversation.campaign_type,
                "about": conversation.procedure,
                "channel": conversation.channel,
            },
            # Earlier messages without links (tokens) or email signatures (contact details).
            "conversation": [
                {
                    "from": t.sender,
                    "text": strip_links(clean_reply(t.text) if t.sender == "patient" else t.text),
                }
                for t in conversation.history
            ],
            "new_patient_message": body,
            "knowledge_base_excerpts": [
                {"title": article.title, "text": article.body} for article, _ in candidates
            ],
        }
        completion = self.client.chat.completions.parse(
            model=self.settings.openai_model,
            messages=[
                {"role": "system", "content": DECISION_SYSTEM},
                {"role": "user", "content": json.dumps(document, ensure_ascii=False)},
            ],
            response_format=AIDecision,
            temperature=0,
            max_completion_tokens=700,
        )
        message = completion.choices[0].message
        if getattr(message, "refusal", None):
            raise AIUnavailable("refused")
        if message.parsed is None:
            raise AIUnavailable("no parsed output")
        return message.parsed

    def _checked(
        self,
        parsed: AIDecision,
        candidates: list[tuple[Article, float]],
        conversation: Conversation,
        body: str,
    ) -> Decision:
        """The model's answer, held to the rules: an answer only from an excerpt it was given
        and with no figure the excerpt lacks; no links; lengths capped."""
        confidence = min(1.0, max(0.0, float(parsed.confidence)))
        summary = cap(strip_links(parsed.summary), SUMMARY_LIMIT)
        if parsed.action == Action.ANSWER_QUESTION:
            article = next((a for a, _ in candidates if a.title == parsed.kb_article), None)
            answer = cap(strip_links(parsed.answer or ""), ANSWER_LIMIT)
            if article is None or not answer or not grounded(answer, article.body):
                reason = HandoffReason.UNANSWERED_QUESTION
                return Decision(
                    action=Action.HANDOFF,
                    intent=parsed.intent[:40],
                    sentiment=parsed.sentiment,
                    confidence=confidence,
                    brain=NAME,
                    reason=reason,
                    summary=summary or summarize(conversation, body, reason),
                )
            return Decision(
                action=Action.ANSWER_QUESTION,
                intent=parsed.intent[:40],
                sentiment=parsed.sentiment,
                confidence=confidence,
                brain=NAME,
                article_title=article.title,
                answer=answer,
            )
        reason = ""
        if parsed.action == Action.HANDOFF:
            reason = parsed.handoff_reason or HandoffReason.UNCLEAR
        return Decision(
            action=parsed.action,
            intent=parsed.intent[:40],
            sentiment=parsed.sentiment,
            confidence=confidence,
            brain=NAME,
            reason=reason,
            summary=(summary or summarize(conversation, body, reason)) if reason else "",
        )

    # --- Retrieval -----------------------------------------------------------------------------

    def embed(self, texts: list[str]) -> list[list[float]]:
        response = self.client.embeddings.create(
            model=self.settings.openai_embedding_model, input=texts
        )
        return [item.embedding for item in sorted(response.data, key=lambda d: d.index)]

    def ensure_embeddings(self, kb: KnowledgeBase) -> None:
        """Embed the articles that have no current embedding; store them when the knowledge
        base comes from the database."""
        missing = [i for i in range(len(kb)) if i not in kb.embeddings]
        if not missing:
            return
        vectors = self.embed([f"{kb.articles[i].title}\n{kb.articles[i].body}" for i in missing])
        for index, vector in zip(missing, vectors, strict=True):
            kb.embeddings[index] = vector
            if kb.stored:
                article = kb.articles[index]
                KnowledgeArticle.objects.filter(title=article.title, body=article.body).update(
                    embedding=vector, embedding_source_hash=article.source_hash
                )

    def retrieve(self, body: str, kb: KnowledgeBase) -> list[tuple[Article, float]]:
        """The articles most similar to the reply, above KB_EMBEDDING_THRESHOLD."""
        if not len(kb):
            return []
        self.ensure_embeddings(kb)
        (query,) = self.embed([body])
        scored = [(kb.articles[i], _cosine(query, kb.embeddings[i])) for i in range(len(kb))]
        scored.sort(key=lambda pair: pair[1], reverse=True)
        return [
            pair
            for pair in scored[:TOP_ARTICLES]
            if pair[1] >= self.settings.kb_embedding_threshold
        ]


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def kb_refresh_embeddings(brain: OpenAIBrain | None = None) -> int:
    """Embed every stored article whose text changed since its embedding (import_kb calls this
    when AGENT_LLM=openai). Returns how many were refreshed."""
    from agent.brains import get_brain

    brain = brain or get_brain(NAME)
    kb = KnowledgeBase.from_db()
    before = len(kb.embeddings)
    brain.ensure_embeddings(kb)
    return len(kb.embeddings) - before
