"""The agent's "brain": what decides about a patient reply and writes the free-text parts of
the answer. One small interface, two implementations chosen by AGENT_LLM:

- `offline` (default): no network — compliance and safety rules, a classifier over local
  sentence embeddings, hybrid retrieval with an answerability check, extractive answers and
  summaries (agent/brains/offline.py);
- `openai`: the openai SDK with structured output (any OpenAI-compatible server through
  OPENAI_BASE_URL); any failure becomes a handoff with reason `ai_unavailable`.

A brain never touches the database: the graph gives it a `Conversation` (minimum necessary
data: first name, the messages, the campaign's procedure) and a `KnowledgeBase`.
"""

from dataclasses import dataclass, field
from typing import Protocol

from agent.choices import Action
from agent.conf import agent_settings
from agent.knowledge import KnowledgeBase


@dataclass(frozen=True)
class Turn:
    sender: str  # "clinic" or "patient"
    text: str


@dataclass(frozen=True)
class Conversation:
    """What a brain may see of a campaign: nothing that identifies the patient but the first
    name (no email, phone, birth date or treatment record)."""

    reply: str
    first_name: str = ""
    clinic_name: str = ""
    campaign_type: str = ""
    channel: str = ""
    procedure: str = ""
    history: tuple[Turn, ...] = ()
    context: str = ""  # "reminder": the reply answers a visit's confirmation or reminder


@dataclass(frozen=True)
class Decision:
    action: str
    intent: str
    sentiment: str
    confidence: float
    brain: str
    reason: str = ""  # why a person must take over (HANDOFF)
    article_title: str = ""  # the article answering (ANSWER_QUESTION)
    answer: str = ""  # the answer, from that article only
    summary: str = ""  # for the handoff queue
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.action not in Action.values:
            raise ValueError(f"{self.action!r} is not one of the agent's actions")

    def analysis(self) -> dict:
        """The `ai_analysis` stored on the incoming interaction."""
        data = {
            "intent": self.intent,
            "sentiment": self.sentiment,
            "action": self.action,
            "confidence": round(float(self.confidence), 3),
            "brain": self.brain,
        }
        if self.reason:
            data["reason"] = self.reason
        if self.article_title:
            data["kb_article"] = self.article_title
        return data


class Brain(Protocol):
    name: str

    def decide(self, conversation: Conversation, kb: KnowledgeBase) -> Decision: ...


def get_brain(name: str | None = None) -> Brain:
    """The brain named by AGENT_LLM (or `name`). Each brain module is imported when chosen:
    the brains import this module (Brain, Decision), and a clinic without an OpenAI key never
    loads the OpenAI client."""
    settings = agent_settings()
    name = name or settings.llm
    if name == "openai":
        from agent.brains.openai import OpenAIBrain

        return OpenAIBrain(settings)
    from agent.brains.offline import OfflineBrain

    return OfflineBrain()
