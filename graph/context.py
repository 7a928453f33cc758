"""Per-run context: who the turn is for and the seams (clock, database, model) tests replace.

Nothing here is checkpointed. The runner fills it from the inbox row; LangGraph Studio may pass
only `phone`, and the defaults fill the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel

from stores.clock import Clock, SystemClock
from stores.db import Database, default_database
from stores.settings import get_settings

STUDIO_PHONE = "+15005550006"
"""The number a run without a user id (LangGraph Studio) acts as: Twilio's magic test number."""


def _max_plan_steps() -> int:
    return get_settings().max_plan_steps


def _history_max_messages() -> int:
    return get_settings().history_max_messages


@dataclass(kw_only=True)
class Context:
    user_id: int | None = None
    """The registered user this turn is for; None in Studio, where `phone` picks the user."""

    conversation_id: int | None = None
    """The conversation (thread) id; looked up from user + channel when None."""

    phone: str = STUDIO_PHONE
    """Used only when `user_id` is None: the user with this number (created if missing)."""

    channel: str = "sms"
    message_sid: str | None = None
    """The inbound MessageSid this turn answers, for the audit log."""

    clock: Clock = field(default_factory=SystemClock)
    database: Database = field(default_factory=default_database)
    chat_model: BaseChatModel | None = None
    """A model to use instead of load_chat_model() (tests pass fakes here)."""

    max_plan_steps: int = field(default_factory=_max_plan_steps)
    history_max_messages: int = field(default_factory=_history_max_messages)
