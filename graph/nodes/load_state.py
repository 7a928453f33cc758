"""load_state: who is texting, which conversation, and a clean slate for this turn's fields."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context
from graph.errors import UserNotFound
from graph.state import State, UserProfile
from stores import users

STUDIO_USER_NAME = "Studio tester"


async def load_state(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    async with ctx.database.session() as session:
        if ctx.user_id is not None:
            user = await users.get_user(session, user_id=ctx.user_id)
        else:
            # No runner in front of us (LangGraph Studio): act as the user with ctx.phone.
            user = await users.get_user_by_phone(session, phone=ctx.phone)
            if user is None:
                user = await users.add_user(
                    session,
                    phone=ctx.phone,
                    name=STUDIO_USER_NAME,
                    timezone="UTC",
                    clock=ctx.clock,
                )
        if user is None:
            raise UserNotFound(f"user {ctx.user_id} is not registered")
        conversation_id = ctx.conversation_id
        if conversation_id is None:
            conversation = await users.get_or_create_conversation(
                session, user_id=user.id, channel=ctx.channel, clock=ctx.clock
            )
            conversation_id = conversation.id
    profile = UserProfile(id=user.id, phone=user.phone, name=user.name, timezone=user.timezone)
    return {
        "user": profile,
        "conversation_id": conversation_id,
        "reply": "",
        "outcome": "",
        "memories": [],
        "documents": [],
        "turn_started_at": ctx.clock.now().isoformat(),
    }
