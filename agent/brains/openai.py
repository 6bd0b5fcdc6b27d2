"""The OpenAI brain: the openai SDK against OpenAI or any OpenAI-compatible server
(OPENAI_BASE_URL: Ollama, vLLM, llama.cpp), with an explicit timeout and bounded retries.

The same layers as the offline brain: the compliance and safety rules first (`agent.rules`, no
model), then the same local retrieval (`agent.retrieval`) picks the excerpts the model may answer
from. The decision is structured output; a server that refuses `json_schema` (llama.cpp answers
422) is asked for `json_object` with the schema in the prompt, and one that refuses that too for
plain text, parsed tolerantly. Whatever goes wrong — timeout, 5xx, refusal, unparsable or
invalid output — the reply is handed to a person with reason `ai_unavailable`; it is never
dropped.
"""

import json
import logging
import re
from typing import Literal

import openai
from pydantic import BaseModel, ConfigDict, ValidationError

from agent.brains import Conversation, Decision
from agent.brains.offline import OfflineBrain, sentiment_of, summarize
from agent.choices import REMINDER_CONTEXT, Action
from agent.conf import AgentSettings
from agent.embeddings import embed_queries
from agent.knowledge import Article, KnowledgeBase
from agent.prompts import DECISION_SYSTEM, HANDOFF_REASONS, SCHEMA_INSTRUCTIONS
from agent.retrieval import question_clauses, retrieve
from agent.rules import screen
from agent.safety import cap, grounded, strip_links
from agent.text import clean_reply
from campaigns.choices import HandoffReason

logger = logging.getLogger(__name__)

NAME = "openai"
TOP_ARTICLES = 3
ANSWER_LIMIT = 600
SUMMARY_LIMIT = 400
# How a server is asked for structured output, most structured first.
JSON_SCHEMA, JSON_OBJECT, PLAIN = "json_schema", "json_object", "plain"
OUTPUT_MODES = (JSON_SCHEMA, JSON_OBJECT, PLAIN)
# What a server says when it does not support a response_format.
_UNSUPPORTED = (400, 422)
# Server -> the first output mode it accepted: later decisions start there, not with a refusal.
_accepted_mode: dict[str, str] = {}


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
            if not self.settings.openai_api_key:
                raise AIUnavailable("OPENAI_API_KEY is not set")
            self._client = openai.OpenAI(
                api_key=self.settings.openai_api_key,
                base_url=self.settings.openai_base_url or None,
                timeout=self.settings.openai_timeout_seconds,
                max_retries=self.settings.openai_max_retries,
            )
        return self._client

    # --- Decision ----------------------------------------------------------------------------

    def decide(self, conversation: Conversation, kb: KnowledgeBase) -> Decision:
        body = clean_reply(conversation.reply)
        sentiment = sentiment_of(body)[0]
        ruled = screen(body, about_a_visit=conversation.context == REMINDER_CONTEXT)
        if ruled:  # compliance and safety do not wait for a model
            action, reason = ruled
            return Decision(
                action=action,
                intent=reason or "opt_out",
                sentiment=sentiment,
                confidence=1.0,
                brain=NAME,
                reason=reason,
                summary=summarize(conversation, body, reason) if reason else "",
            )
        if conversation.context == REMINDER_CONTEXT:
            # What a reply says of its visit is read by the offline brain's trained model, the
            # same in both brains; anything else goes to the language model as usual.
            visit_action = OfflineBrain().read_visit_reply(body)
            if visit_action:
                action, p = visit_action
                return Decision(action, action.lower(), sentiment, round(p, 3), NAME)
        try:
            candidates = retrieve_articles(body, kb)
            parsed = self._ask(conversation, body, candidates)
            return self._checked(parsed, candidates, conversation, body)
        except Exception as exc:  # any failure is a handoff, never a drop
            logger.warning("openai brain unavailable: %s", type(exc).__name__)
            return Decision(
                action=Action.HANDOFF,
                intent="unknown",
                sentiment=sentiment,
                confidence=0.0,
                brain=NAME,
                reason=HandoffReason.AI_UNAVAILABLE,
                summary=summarize(conversation, body, HandoffReason.AI_UNAVAILABLE),
                extra={"error": type(exc).__name__},
            )

    def _document(self, conversation: Conversation, body: str, candidates: list[Article]) -> str:
        return json.dumps(
            {
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
                        "text": strip_links(
                            clean_reply(t.text) if t.sender == "patient" else t.text
                        ),
                    }
                    for t in conversation.history
                ],
                "new_patient_message": body,
                "knowledge_base_excerpts": [{"title": a.title, "text": a.body} for a in candidates],
            },
            ensure_ascii=False,
        )

    def _ask(self, conversation: Conversation, body: str, candidates: list[Article]) -> AIDecision:
        """The model's decision, in the most structured output mode the server accepts."""
        document = self._document(conversation, body, candidates)
        server = self.settings.openai_base_url
        for mode in OUTPUT_MODES[OUTPUT_MODES.index(_accepted_mode.get(server, JSON_SCHEMA)) :]:
            try:
                parsed = self._ask_in(mode, document)
            except openai.APIStatusError as exc:
                if exc.status_code in _UNSUPPORTED and mode != PLAIN:
                    logger.info("openai server refused %s output (%s)", mode, exc.status_code)
                    continue
                raise
            _accepted_mode[server] = mode
            return parsed
        raise AIUnavailable("no output mode accepted")

    def _ask_in(self, mode: str, document: str) -> AIDecision:
        common = {
            "model": self.settings.openai_model,
            "temperature": 0,
            "max_completion_tokens": 700,
        }
        if mode == JSON_SCHEMA:
            messages = [
                {"role": "system", "content": DECISION_SYSTEM},
                {"role": "user", "content": document},
            ]
            completion = self.client.chat.completions.parse(
                messages=messages, response_format=AIDecision, **common
            )
            message = completion.choices[0].message
            if getattr(message, "refusal", None):
                raise AIUnavailable("refused")
            if message.parsed is None:
                raise AIUnavailable("no parsed output")
            return message.parsed
        schema = json.dumps(AIDecision.model_json_schema())
        messages = [
            {"role": "system", "content": f"{DECISION_SYSTEM}\n{SCHEMA_INSTRUCTIONS}{schema}"},
            {"role": "user", "content": document},
        ]
        extra = {"response_format": {"type": "json_object"}} if mode == JSON_OBJECT else {}
        completion = self.client.chat.completions.create(messages=messages, **common, **extra)
        return parse_decision(completion.choices[0].message.content or "")

    def _checked(
        self,
        parsed: AIDecision,
        candidates: list[Article],
        conversation: Conversation,
        body: str,
    ) -> Decision:
        """The model's answer, held to the rules: an answer only from an excerpt it was given
        and with no figure the excerpt lacks; no links; lengths capped."""
        confidence = min(1.0, max(0.0, float(parsed.confidence)))
        summary = cap(strip_links(parsed.summary), SUMMARY_LIMIT)
        common = {"intent": parsed.intent[:40], "sentiment": parsed.sentiment, "brain": NAME}
        if parsed.action == Action.ANSWER_QUESTION:
            article = next((a for a in candidates if a.title == parsed.kb_article), None)
            answer = cap(strip_links(parsed.answer or ""), ANSWER_LIMIT)
            if article is None or not answer or not grounded(answer, article.body):
                reason = HandoffReason.UNANSWERED_QUESTION
                return Decision(
                    action=Action.HANDOFF,
                    confidence=confidence,
                    reason=reason,
                    summary=summary or summarize(conversation, body, reason),
                    **common,
                )
            return Decision(
                action=Action.ANSWER_QUESTION,
                confidence=confidence,
                article_title=article.title,
                answer=answer,
                **common,
            )
        reason = ""
        if parsed.action == Action.HANDOFF:
            reason = parsed.handoff_reason or HandoffReason.UNCLEAR
        return Decision(
            action=parsed.action,
            confidence=confidence,
            reason=reason,
            summary=(summary or summarize(conversation, body, reason)) if reason else "",
            **common,
        )


_JSON_OBJECT = re.compile(r"\{.*\}", re.S)


def parse_decision(text: str) -> AIDecision:
    """A decision out of free text: the outermost JSON object in it (models wrap it in prose or
    a ```json fence), checked against the schema. Raises AIUnavailable when there is none."""
    found = _JSON_OBJECT.search(text or "")
    if not found:
        raise AIUnavailable("no JSON object in the output")
    try:
        data = json.loads(found.group(0))
    except ValueError as exc:
        raise AIUnavailable("output is not JSON") from exc
    if not isinstance(data, dict):
        raise AIUnavailable("output is not a JSON object")
    for key in ("action", "sentiment"):  # small models vary the case of enum values
        if isinstance(data.get(key), str):
            data[key] = data[key].strip()
            data[key] = data[key].upper() if key == "action" else data[key].lower()
    for key in ("handoff_reason", "kb_article", "answer"):
        data.setdefault(key, None)
    data.setdefault("summary", "")
    data.setdefault("intent", "unknown")
    try:
        return AIDecision.model_validate(data)
    except ValidationError as exc:
        raise AIUnavailable("output does not match the schema") from exc


def retrieve_articles(body: str, kb: KnowledgeBase) -> list[Article]:
    """The articles closest to what the reply asks, by the offline brain's hybrid retrieval: the
    best one per question, then the next best overall, up to TOP_ARTICLES."""
    if not kb.passages:
        return []
    clauses = question_clauses(body)[:TOP_ARTICLES]
    picked: list[int] = []
    vectors = embed_queries(clauses)
    ranked = [retrieve(kb, c, v) for c, v in zip(clauses, vectors, strict=True)]
    for rank in range(TOP_ARTICLES):  # the best of each question first, then the runners-up
        for hits in ranked:
            if rank < len(hits) and hits[rank].article not in picked:
                picked.append(hits[rank].article)
    return [kb.articles[i] for i in picked[:TOP_ARTICLES]]
