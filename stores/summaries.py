"""Running summaries of conversations: each fold of old turns stores the summary as it stands.

The newest row per conversation is the current summary; older rows are the history of it.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.models import ConversationSummary

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_VALUE = re.compile(r"\s(?:is|are|was|were)\s+(?P<value>.+)$", re.IGNORECASE)


async def store_summary(
    session: AsyncSession,
    *,
    conversation_id: int,
    user_id: int,
    text: str,
    folded_messages: int,
    method: str,
    clock: Clock,
) -> ConversationSummary:
    row = ConversationSummary(
        conversation_id=conversation_id,
        user_id=user_id,
        text=text,
        folded_messages=folded_messages,
        method=method,
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return row


def _keys(phrases: list[str]) -> list[str]:
    """What identifies a fact in a summary: the fact itself, and its value ("12 Elm St")."""
    keys = []
    for phrase in phrases:
        phrase = " ".join(phrase.lower().split()).rstrip(".")
        keys.append(phrase)
        match = _VALUE.search(phrase)
        if match and len(match.group("value")) >= 3:
            keys.append(match.group("value"))
    return keys


def scrub_text(text: str, phrases: list[str]) -> str:
    """`text` without the sentences that mention any of the forgotten facts."""
    keys = _keys(phrases)
    kept_lines = []
    for line in text.splitlines():
        sentences = [s for s in _SENTENCE_END.split(line) if not any(k in s.lower() for k in keys)]
        if sentences or not line.strip():
            kept = " ".join(sentences)
            if kept.strip() or not line.strip():
                kept_lines.append(kept)
    return "\n".join(kept_lines).strip()


async def scrub(session: AsyncSession, *, user_id: int, phrases: list[str]) -> int:
    """Remove forgotten facts from every stored summary of the user; returns rows changed."""
    changed = 0
    rows = await session.execute(
        select(ConversationSummary).where(ConversationSummary.user_id == user_id)
    )
    for row in rows.scalars():
        cleaned = scrub_text(row.text, phrases)
        if cleaned != row.text:
            row.text = cleaned
            changed += 1
    return changed
