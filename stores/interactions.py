"""The audit log of agent runs: who, which nodes and tools, how long, how it ended."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.models import Interaction


async def record_interaction(
    session: AsyncSession,
    *,
    user_id: int | None,
    conversation_id: int | None,
    message_sid: str | None,
    planner: str,
    nodes: list[str],
    tools: list[str],
    steps: int,
    latency_ms: int,
    outcome: str,
    clock: Clock,
    error_class: str | None = None,
) -> Interaction:
    interaction = Interaction(
        user_id=user_id,
        conversation_id=conversation_id,
        message_sid=message_sid,
        planner=planner,
        nodes=nodes,
        tools=tools,
        steps=steps,
        latency_ms=latency_ms,
        outcome=outcome,
        error_class=error_class,
        created_at=clock.now(),
    )
    session.add(interaction)
    await session.flush()
    return interaction


async def recent_interactions(
    session: AsyncSession, *, user_id: int | None = None, limit: int = 50
) -> list[Interaction]:
    query = select(Interaction).order_by(Interaction.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(Interaction.user_id == user_id)
    return list((await session.execute(query)).scalars())
