"""Per-run context: who the turn is for and the seams (clock, database, model) tests replace.

Nothing here is checkpointed. The runner fills it from the inbox row; LangGraph Studio may pass
only `phone`, and the defaults fill the rest. This is the one configuration seam below the
composition roots: nodes and tools read settings from `context.settings`, never from the
environment. A composition root that lets LangGraph build the Context (the Studio entry point,
`graph/studio.py`) registers its Settings with `use_default_settings`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from pydantic import ConfigDict
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy.ext.asyncio import AsyncSession

from graph.model import Planner, load_chat_model, planner_for
from stores import crypto
from stores.clock import Clock, SystemClock
from stores.db import Database
from stores.embeddings import TextEmbeddings, shared_embeddings
from stores.migrate import ensure_schema
from stores.settings import Settings

STUDIO_PHONE = "+15005550006"
"""The number a run without a user id (LangGraph Studio) acts as: Twilio's magic test number."""


_default_lock = threading.Lock()


def _environment_only() -> Settings:
    """Without a composition root (tests, scripts): the environment, no `.env` file."""
    return Settings(_env_file=None)  # type: ignore[call-arg]


_default_settings: Callable[[], Settings] = _environment_only
_databases: dict[str, Database] = {}


def use_default_settings(factory: Callable[[], Settings]) -> None:
    """Where a Context built without `settings` gets them (a composition root calls this)."""
    global _default_settings
    _default_settings = factory


def _process_database(settings: Settings) -> Database:
    with _default_lock:  # two first runs at once must not build two engines
        if not crypto.is_configured():
            crypto.configure(settings)  # may read or create the dev key file: blocking I/O
        database = _databases.get(settings.database_url)
        if database is None:
            # A plain `langgraph dev` on a fresh clone: the embedded SQLite file is created and
            # migrated here; a Postgres schema must already be current (clear error if not).
            ensure_schema(settings.database_url)
            database = _databases[settings.database_url] = Database(settings.database_url)
        return database


class ProcessDatabase(Database):
    """The process-wide database for `settings.database_url`, built on first use off the loop.

    LangGraph builds the Context inside the event loop, and building the engine is blocking:
    SQLAlchemy's SQLite dialect resolves a relative path such as `./data/assistant.db` with
    `os.path.abspath` -> `os.getcwd()`, which `langgraph dev` (blockbuster) rejects. So the
    default is this stand-in, which builds the real one in a worker thread when a node first
    opens a session. Only Studio runs use it; the runner always passes its own Database.
    """

    def __init__(self, settings: Settings) -> None:  # no engine yet, on purpose
        self._settings = settings
        self._database: Database | None = None

    async def resolve(self) -> Database:
        if self._database is None:
            self._database = await asyncio.to_thread(_process_database, self._settings)
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


FROM_SETTINGS: Any = None
"""Default of the fields that `__post_init__` fills from `settings` (typed as what they become)."""


@dataclass(kw_only=True)
class Context:
    # Studio (GET /assistants/{id}/schemas) describes this with pydantic: the seams below are
    # objects, not JSON, so they stay out of the schema (and out of what Studio can pass).
    __pydantic_config__ = ConfigDict(arbitrary_types_allowed=True)

    user_id: int | None = None
    """The registered user this turn is for; None in Studio, where `phone` picks the user."""

    conversation_id: int | None = None
    """The conversation (thread) id; looked up from user + channel when None."""

    phone: str = STUDIO_PHONE
    """Used only when `user_id` is None: the user with this number (created if missing)."""

    channel: str = "sms"
    message_sid: str | None = None
    """The inbound MessageSid this turn answers, for the audit log."""

    settings: SkipJsonSchema[Settings] = field(default_factory=lambda: _default_settings())
    """The service's configuration; the fields below left at None are filled from it."""
    clock: SkipJsonSchema[Clock] = field(default_factory=SystemClock)
    database: SkipJsonSchema[Database] = FROM_SETTINGS
    """Defaults to the process-wide database for `settings.database_url`, built on first use."""
    chat_model: SkipJsonSchema[BaseChatModel | None] = None
    """A model to use instead of load_chat_model() (tests pass fakes here)."""

    history_max_messages: int = FROM_SETTINGS

    embeddings: SkipJsonSchema[TextEmbeddings] = FROM_SETTINGS
    """Memory and knowledge-base vectors; the model itself loads on first use, off the loop."""
    memory_top_k: int = FROM_SETTINGS
    memory_min_score: float = FROM_SETTINGS
    rag_top_k: int = FROM_SETTINGS
    rag_min_score: float = FROM_SETTINGS
    turn_deadline: float | None = None
    """time.monotonic() after which no model call starts (the runner sets it); None: no budget."""
    llm_relevant_tools_only: bool = FROM_SETTINGS
    """Offer the model only the tools relevant to the text (small models)."""
    history_token_budget: int = FROM_SETTINGS
    """Past this many (estimated) tokens of history, summarize folds the oldest turns."""

    def planner(self) -> Planner:
        """The model that plans this turn (a fake in tests, else the configured one)."""
        return planner_for(self.chat_model or load_chat_model(self.settings))

    def __post_init__(self) -> None:
        if self.database is None:
            self.database = ProcessDatabase(self.settings)
        if self.embeddings is None:
            self.embeddings = shared_embeddings(self.settings)
        for name in _FROM_SETTINGS:
            if getattr(self, name) is None:
                setattr(self, name, getattr(self.settings, name))


_FROM_SETTINGS = (
    "history_max_messages",
    "memory_top_k",
    "memory_min_score",
    "rag_top_k",
    "rag_min_score",
    "history_token_budget",
    "llm_relevant_tools_only",
)
