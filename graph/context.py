"""Per-run context: who the turn is for and the seams (clock, database, model) tests replace.

Nothing here is checkpointed. The runner fills it from the inbox row; LangGraph Studio may pass
only `phone`, and the defaults fill the rest.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from sqlalchemy.ext.asyncio import AsyncSession

from stores import crypto
from stores.clock import Clock, SystemClock
from stores.db import Database, default_database
from stores.embeddings import TextEmbeddings, default_embeddings
from stores.settings import get_settings

STUDIO_PHONE = "+15005550006"
"""The number a run without a user id (LangGraph Studio) acts as: Twilio's magic test number."""


_default_lock = threading.Lock()


def _process_database() -> Database:
    with _default_lock:  # two first runs at once must not build two engines
        crypto.keyring()  # loads (in development, may create) the key file: blocking I/O
        return default_database()


class ProcessDatabase(Database):
    """The process-wide database (`stores.db.default_database()`), built on first use off the loop.

    LangGraph builds the Context inside the event loop, and building the engine is blocking:
    SQLAlchemy's SQLite dialect resolves a relative path such as `./data/assistant.db` with
    `os.path.abspath` -> `os.getcwd()`, which `langgraph dev` (blockbuster) rejects. So the
    default is this stand-in, which builds the real one in a worker thread when a node first
    opens a session. Only Studio runs use it; the runner always passes its own Database.
    """

    def __init__(self) -> None:  # no engine yet, on purpose
        self._database: Database | None = None

    async def resolve(self) -> Database:
        if self._database is None:
            self._database = await asyncio.to_thread(_process_database)
        return self._database

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        database = await self.resolve()
        async with database.session() as session:
            yield session

    async def prepare(self) -> None:
        await (await self.resolve()).prepare()

    async def dispose(self) -> None:
        """Leaves the shared engine alone: other runs are using it."""

    def __getattr__(self, name: str) -> Any:
        # url, engine, sessions: only once resolved (never build the engine on the loop).
        database = self.__dict__.get("_database")
        if database is None:
            raise AttributeError(f"{name}: the process database is built on first session()")
        return getattr(database, name)


def _max_plan_steps() -> int:
    return get_settings().max_plan_steps


def _history_max_messages() -> int:
    return get_settings().history_max_messages


def _setting(name: str) -> Any:
    return field(default_factory=lambda: getattr(get_settings(), name))


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
    database: Database = field(default_factory=ProcessDatabase)
    """Defaults to the process-wide database from settings, built on first use."""
    chat_model: BaseChatModel | None = None
    """A model to use instead of load_chat_model() (tests pass fakes here)."""

    max_plan_steps: int = field(default_factory=_max_plan_steps)
    history_max_messages: int = field(default_factory=_history_max_messages)

    embeddings: TextEmbeddings = field(default_factory=default_embeddings)
    """Memory and knowledge-base vectors; the model itself loads on first use, off the loop."""
    memory_top_k: int = _setting("memory_top_k")
    memory_min_score: float = _setting("memory_min_score")
    rag_top_k: int = _setting("rag_top_k")
    rag_min_score: float = _setting("rag_min_score")
    history_token_budget: int = _setting("history_token_budget")
    """Past this many (estimated) tokens of history, summarize folds the oldest turns."""
