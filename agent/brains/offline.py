"""The offline brain: deterministic, no network.

Decision order follows the actions' precedence (OPT_OUT > CLOSE_DECLINED > HANDOFF >
ANSWER_QUESTION > SEND_BOOKING_LINK): the first that applies wins. Questions are answered only
when the knowledge base covers them (agent.knowledge); anything else a person must see is a
handoff. Sentiment comes from VADER.
"""

import functools

from agent import signals
from agent.brains import Conversation, Decision
from agent.choices import Action, HandoffReason, Sentiment
from agent.conf import AgentSettings
from agent.knowledge import KBMatch, KnowledgeBase
from agent.text import clean_reply, correct_typos, has_letters, normalize, sentences

NAME = "offline"


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


class OfflineBrain:
    name = NAME

    def __init__(self, settings: AgentSettings):
        self.threshold = settings.kb_match_threshold

    def decide(self, conversation: Conversation, kb: KnowledgeBase) -> Decision:
        written = clean_reply(conversation.reply)
        sentiment, _ = sentiment_of(written)
        # Misspellings put right ("unsubscibe", "insurence"), the clinic's own words kept.
        body = correct_typos(written, kb.vocabulary)

        def decision(action, intent, confidence, **extra) -> Decision:
            return Decision(
                action=action,
                intent=intent,
                sentiment=sentiment,
                confidence=confidence,
                brain=NAME,
                **extra,
            )

        def handoff(reason: str, confidence: float) -> Decision:
            return decision(
                Action.HANDOFF,
                reason,
                confidence,
                reason=reason,
                summary=summarize(conversation, written, reason),
            )

        if signals.is_opt_out(body):
            return decision(Action.OPT_OUT, "opt_out", 0.99)
        if signals.is_decline(body, here=kb.vocabulary):
            return decision(Action.CLOSE_DECLINED, "declined", 0.85)
        if not has_letters(body) and not signals.wants_booking(body):
            return handoff(HandoffReason.UNCLEAR, 0.4)
        reasons = signals.handoff_reasons(body, original=written)
        if reasons:
            return handoff(reasons[0], 0.8)

        questions = signals.question_clauses(body)
        # A question the booking page answers (open times) is a wish to book — also at an
        # hour the clinic may not keep ("anything Thursday evening?") when its opening times
        # say it is open then. When they say it is closed then ("do you see patients on
        # Mondays?"), the article on hours answers.
        info = [q for q in questions if not self._for_booking_page(q, kb)]
        if info:
            match = self._answer(kb, info, body, conversation)
            if match is None and all(signals.asks_for_times(q) for q in info):
                # "anything Monday evening?": unless the article on hours says otherwise, the
                # booking page shows what there is.
                return decision(Action.SEND_BOOKING_LINK, "booking_request", 0.7)
            if match is None:
                return handoff(HandoffReason.UNANSWERED_QUESTION, 0.6)
            return decision(
                Action.ANSWER_QUESTION,
                "question",
                round(min(0.95, 0.5 + match.coverage / 2), 3),
                article_title=match.article.title,
                answer=" ".join(match.sentences),
            )
        if questions or signals.wants_booking(body):
            return decision(Action.SEND_BOOKING_LINK, "booking_request", 0.8)
        return handoff(HandoffReason.UNCLEAR, 0.4)

    @staticmethod
    def _for_booking_page(question: str, kb: KnowledgeBase) -> bool:
        if signals.is_availability_question(question):
            return kb.open_at(question) is not False
        return (
            signals.asks_for_times(question)
            and not signals.is_hours_question(question)
            and kb.open_at(question) is True
        )

    def _answer(
        self, kb: KnowledgeBase, questions: list[str], body: str, conversation: Conversation
    ) -> KBMatch | None:
        """One article that answers every question asked, or None: a partly answered message
        goes to a person."""
        norm = normalize(body)
        history = next((t.text for t in reversed(conversation.history) if t.sender == "clinic"), "")
        matches = []
        for question in questions:
            head = norm.split(question, 1)[0]
            previous = sentences(head)
            match = kb.answer(
                question,
                threshold=self.threshold,
                before=previous[-1] if previous else "",
                context=norm.replace(question, " "),
                history=history,
            )
            if match is None or not match.answerable:
                return None
            matches.append(match)
        return max(matches, key=lambda m: m.coverage)
