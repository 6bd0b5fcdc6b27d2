"""The offline brain: no network, three layers (SPEC §5.1).

1. `agent.rules.screen`: opt-out (`patients.consent`), pain or emergency, prompt injection,
   not English — decided by rules before any model.
2. `agent.intent`: a classifier over the reply's sentence embedding says what it wants; below
   its confidence floor a person decides. A reply to a visit's confirmation or reminder is
   first read for what it says of the visit (confirm, move, cancel), and read as any other
   reply when it says none of these surely enough.
3. `agent.retrieval`: a question is answered with the knowledge base's own sentences when the
   answerability check passes, else handed to a person.
"""

import functools
from collections.abc import Callable

import numpy as np

from agent.brains import Conversation, Decision
from agent.choices import REMINDER_CONTEXT, Action, Sentiment
from agent.embeddings import embed_queries
from agent.intent import (
    BOOK,
    CANCEL,
    CONFIRM,
    DECLINE,
    HANDOFF,
    MOVE,
    OPT_OUT,
    Model,
    reply_features,
    trained_model,
)
from agent.knowledge import KnowledgeBase
from agent.retrieval import Retrieved, answer_text, question_clauses, retrieve
from agent.rules import screen
from agent.text import clean_reply, sentences
from campaigns.choices import HandoffReason

NAME = "offline"
# A reply asking this many things at once goes to a person: an answer would be a wall of text.
MAX_QUESTIONS = 3


@functools.cache
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment_of(text: str) -> tuple[str, float]:
    compound = _vader().polarity_scores(text or "")["compound"]
    if compound >= 0.05:
        return Sentiment.POSITIVE, compound
    if compound <= -0.05:
        return Sentiment.NEGATIVE, compound
    return Sentiment.NEUTRAL, compound


def summarize(conversation: Conversation, body: str, reason: str) -> str:
    """Extractive handoff summary: why, and the patient's own words (the sentences that matter,
    capped), so staff see the point without opening the thread."""
    label = HandoffReason(reason).label if reason in HandoffReason.values else reason
    picked = [s for s in sentences(body) if len(s) > 1][:3]
    quote = " ".join(picked)
    if len(quote) > 280:
        quote = quote[:279].rstrip() + "…"
    kind = conversation.campaign_type.lower() or "campaign"
    about = f" about {conversation.procedure}" if conversation.procedure else ""
    return f"{label}. Reply to the {kind} message{about}: \u201c{quote}\u201d"


class Reply:
    """A reply's own words and their embedding, made once, when first needed: most replies are
    decided without it."""

    def __init__(self, text: str, embed: Callable[[list[str]], np.ndarray]):
        self.text = text
        self._embed = embed

    @functools.cached_property
    def vector(self) -> np.ndarray:
        (vector,) = self._embed([self.text])
        return vector

    @functools.cached_property
    def features(self) -> np.ndarray:
        return reply_features(self.text, self.vector)

    @property
    def embedded(self) -> bool:
        return "vector" in self.__dict__


class OfflineBrain:
    name = NAME

    def __init__(
        self,
        *,
        model: Model | None = None,
        embed: Callable[[list[str]], np.ndarray] = embed_queries,
    ):
        self.model = model or trained_model()
        self.embed = embed

    def decide(self, conversation: Conversation, kb: KnowledgeBase) -> Decision:
        written = clean_reply(conversation.reply)
        sentiment, _ = sentiment_of(written)

        def decision(action: str, intent: str, confidence: float, **extra) -> Decision:
            return Decision(action, intent, sentiment, round(confidence, 3), NAME, **extra)

        def handoff(reason: str, confidence: float) -> Decision:
            summary = summarize(conversation, written, reason)
            return decision(Action.HANDOFF, reason, confidence, reason=reason, summary=summary)

        ruled = screen(written, about_a_visit=conversation.context == REMINDER_CONTEXT)
        if ruled:
            action, reason = ruled
            return handoff(reason, 1.0) if reason else decision(action, "opt_out", 1.0)

        reply = Reply(written, self.embed)
        if conversation.context == REMINDER_CONTEXT:
            visit_action = self.visit_action(reply)
            if visit_action:
                action, p = visit_action
                return decision(action, action.lower(), p)
        intent, confidence = self.intent(reply)
        if intent == OPT_OUT:
            if confidence >= self.model.opt_out_confidence:
                return decision(Action.OPT_OUT, "opt_out", confidence)
            # Not sure enough to opt out, sure enough that it is no booking: a person reads it.
            return handoff(HandoffReason.UNCLEAR, confidence)
        if confidence < self.model.min_confidence:
            return handoff(HandoffReason.UNCLEAR, confidence)
        if intent == DECLINE:
            return decision(Action.CLOSE_DECLINED, "declined", confidence)
        if intent == HANDOFF:
            return handoff(self.model.handoff_reason(reply.features), confidence)
        if intent == BOOK:
            return decision(Action.SEND_BOOKING_LINK, "booking_request", confidence)
        return self._answer(reply, kb, confidence, decision, handoff)

    def intent(self, reply: "Reply") -> tuple[str, float]:
        """What the reply wants and how likely: from its words alone when they are sure and the
        embedding is not made yet, else from both readings."""
        sure = None if reply.embedded else self.model.sure_from_words(reply.text)
        if sure:
            return sure
        probs = self.model.intents(reply.text, reply.features)
        intent = max(probs, key=probs.get)
        return intent, probs[intent]

    def visit_action(self, reply: "Reply") -> tuple[str, float] | None:
        """What a reply to a reminder asks of the visit, when it is sure enough: confirm it,
        move it (the link) or cancel it — a cancellation only when unambiguous, else the link,
        where the patient can cancel or move it. The words alone may confirm or move."""
        sure = self.model.visit_from_words(reply.text)
        reading, p = sure or self.model.visit_reading(reply.features)
        if reading not in (CONFIRM, MOVE, CANCEL) or p < self.model.visit_confidence:
            return None
        if reading == CONFIRM:
            return Action.CONFIRM_VISIT, p
        if reading == CANCEL and p >= self.model.cancel_confidence:
            return Action.CANCEL_VISIT, p
        return Action.MOVE_VISIT, p

    def read_visit_reply(self, text: str) -> tuple[str, float] | None:
        """`visit_action` of a reply's own words (for a brain that has no embedding at hand)."""
        return self.visit_action(Reply(text, self.embed))

    def answers(self, reply: "Reply", kb: KnowledgeBase) -> list[Retrieved] | None:
        """What answers each question the reply asks (a question about open times is for the
        booking page and needs none); None when one of them has no answer in the knowledge base."""
        clauses = question_clauses(reply.text)
        if len(clauses) > MAX_QUESTIONS:
            return None
        vectors = [reply.vector] if clauses == [reply.text] else list(self.embed(clauses))
        found = []
        for clause, clause_vector in zip(clauses, vectors, strict=True):
            if len(clauses) > 1:
                probs = self.model.intents(clause, reply_features(clause, clause_vector))
                if max(probs, key=probs.get) == BOOK:
                    continue
            hit = self.best_answer(retrieve(kb, clause, clause_vector, self.model.term_weights))
            if hit is None:
                return None
            found.append(hit)
        return found

    def best_answer(self, candidates: list[Retrieved]) -> Retrieved | None:
        """The candidate article most likely to answer, if it is likely enough."""
        scored = [(self.model.answerable(h), h) for h in candidates if h.eligible]
        if not scored:
            return None
        p, hit = max(scored, key=lambda pair: pair[0])
        return hit if p >= self.model.answer_threshold else None

    def _answer(self, reply, kb, confidence, decision, handoff) -> Decision:
        found = self.answers(reply, kb)
        if found is None:
            return handoff(HandoffReason.UNANSWERED_QUESTION, confidence)
        if not found:
            return decision(Action.SEND_BOOKING_LINK, "booking_request", confidence)
        quoted = list(dict.fromkeys(answer_text(kb, hit) for hit in found))
        titles = list(dict.fromkeys(kb.articles[hit.article].title for hit in found))
        return decision(
            Action.ANSWER_QUESTION,
            "question",
            confidence,
            article_title=titles[0],
            answer=" ".join(quoted),
            extra={"articles": titles},
        )
