"""Data that other issues add (reminders, memories, knowledge base), shown once it exists.

Each is shown when both its table is migrated and its store module is installed; otherwise
the page says plainly which part is missing rather than pretending.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from typing import Any

from api.admin.display import local_time
from api.admin.service import present_tables
from stores.db import Database


@dataclass
class Feature:
    key: str
    title: str
    table: str
    module: str
    table_present: bool
    module_present: bool
    rows: list[dict[str, Any]] = field(default_factory=list)
    columns: tuple[str, ...] = ()

    @property
    def available(self) -> bool:
        return self.table_present and self.module_present

    @property
    def missing(self) -> str:
        if self.available:
            return ""
        parts = []
        if not self.table_present:
            parts.append(f"table `{self.table}` (run `sms-assistant migrate` once it ships)")
        if not self.module_present:
            parts.append(f"module `{self.module}`")
        return "not in this build yet: " + " and ".join(parts)


SPECS = (
    ("reminders", "Reminders", "reminders", "stores.reminders"),
    ("memories", "Memories", "memories", "stores.memories"),
    ("kb", "Knowledge-base documents", "kb_documents", "stores.kb"),
)


def _module_present(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


async def optional_features(database: Database, *, user_id: int | None = None) -> list[Feature]:
    tables = await present_tables(database)
    features = [
        Feature(key, title, table, module, table in tables, _module_present(module))
        for key, title, table, module in SPECS
    ]
    for feature in features:
        if feature.key == "memories" and feature.available and user_id is not None:
            await _load_memories(database, feature, user_id)
        if feature.key == "reminders" and feature.available and user_id is not None:
            await _load_reminders(database, feature, user_id)
    return features


async def _load_memories(database: Database, feature: Feature, user_id: int) -> None:
    memories = importlib.import_module("stores.memories")
    async with database.session() as session:
        rows = await memories.list_memories(session, user_id=user_id, limit=50)
        zone = await _timezone_of(session, user_id)
    feature.columns = ("text", "subject", "origin", "updated")
    feature.rows = [
        {
            "text": row.text,
            "subject": row.subject or "",
            "origin": row.origin,
            "updated": local_time(row.updated_at, zone),
        }
        for row in rows
    ]


async def _load_reminders(database: Database, feature: Feature, user_id: int) -> None:
    reminders = importlib.import_module("stores.reminders")
    describe_rrule = importlib.import_module("stores.recurrence").describe_rrule
    async with database.session() as session:
        rows = await reminders.active_reminders(session, user_id=user_id)
    feature.columns = ("number", "text", "next", "held until", "repeats", "urgent")
    feature.rows = [
        {
            "number": f"#{row.number}",
            "text": row.text,
            "next": local_time(row.occurs_at, row.timezone),
            "held until": local_time(row.due_at, row.timezone)
            if row.due_at > row.occurs_at
            else "",
            "repeats": describe_rrule(row.rrule) if row.rrule else "",
            "urgent": "yes" if row.urgent else "",
        }
        for row in rows
    ]


async def _timezone_of(session: Any, user_id: int) -> str | None:
    from stores.models import User

    user = await session.get(User, user_id)
    return user.timezone if user is not None else None
