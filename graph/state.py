"""The graph's state: what flows between nodes and, through the checkpointer, between turns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from langchain_core.messages import AnyMessage
from langgraph.graph import add_messages
from langgraph.managed import RemainingSteps
from typing_extensions import TypedDict  # pydantic describes only this one before 3.12 (Studio)

TURN_START = "load_state"
"""The node that begins a turn (and so a new `path`)."""


def record_path(done: list[str], ran: list[str]) -> list[str]:
    """Reducer for `path`: each node adds its name; the first node of a turn starts over."""
    return list(ran) if ran[:1] == [TURN_START] else [*done, *ran]


class UserProfile(TypedDict):
    """Who is texting, as loaded from the users table at the start of the turn."""

    id: int
    phone: str
    name: str
    timezone: str


class RetrievedDocument(TypedDict):
    """A knowledge-base chunk found for this turn."""

    source: str
    text: str
    score: float


@dataclass(kw_only=True)
class InputState:
    """What a caller passes in: the new inbound text as a HumanMessage."""

    messages: Annotated[list[AnyMessage], add_messages] = field(default_factory=list)
    """The conversation so far; a turn appends one HumanMessage (its id is the MessageSid)."""


@dataclass(kw_only=True)
class State(InputState):
    """Everything the nodes share."""

    user: UserProfile | None = None
    """The texter, reloaded every turn so a renamed user or a new timezone applies at once."""

    conversation_id: int | None = None
    """The conversation row; also the checkpointer's thread id."""

    memories: list[str] = field(default_factory=list)
    """Long-term memories recalled for this turn (filled by retrieve_memory)."""

    documents: list[RetrievedDocument] = field(default_factory=list)
    """Knowledge-base chunks retrieved for this turn (filled by rag)."""

    summary: str = ""
    """Running summary of turns folded out of `messages`."""

    path: Annotated[list[str], record_path] = field(default_factory=list)
    """The nodes this turn ran, in order (graph.graph records each as it finishes)."""

    remaining_steps: RemainingSteps = 25
    """Supersteps left in this run, from its recursion limit (LangGraph fills it in). The runner
    sets the limit from max_plan_steps; plan stops calling the model when only the steps that
    finish the turn are left."""

    reply: str = ""
    """The text to send back for this turn, set when the planner stops calling tools."""

    outcome: str = ""
    """How the turn ended: "ok", or "fallback" when the step limit cut it short."""

    after_reply_due: bool = False
    """Set by persist: this turn left work for after the reply (facts to extract, turns to fold)."""

    turn_started_at: str = ""
    """ISO time the turn began, by the injected clock (for the interaction's latency)."""
