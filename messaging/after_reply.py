"""After-reply work of a turn (fact extraction, summary folding), run once the reply is handed to
TwiML or the outbox, never before.

The runner's graph stops before the `after_reply` node; the checkpoint keeps it pending, so the
work survives a crash between delivery and its end: the conversation's next turn finds it
pending and runs it first (the conversation lock is held in both places, so a turn and the
after-reply work of its conversation never overlap). It never fails a turn: errors are logged.
"""

from __future__ import annotations

import logging
from typing import Any

from graph.errors import describe
from graph.nodes.after_reply import NODE
from messaging.turn_metrics import NOT_A_TURN

log = logging.getLogger(__name__)

INTERRUPT_BEFORE = [NODE]
"""What the runner compiles the graph with."""


def turn_config(conversation_id: int) -> Any:
    return {"configurable": {"thread_id": str(conversation_id)}}


async def is_pending(graph: Any, config: Any) -> bool:
    snapshot = await graph.aget_state(config)
    return NODE in (snapshot.next or ())


async def run_pending(graph: Any, config: Any, context: Any) -> bool:
    """Run the conversation's waiting after-reply work, if any; True when some ran."""
    try:
        if not await is_pending(graph, config):
            return False
        await graph.ainvoke(None, {**config, "tags": [NOT_A_TURN]}, context=context)
        return True
    except Exception as error:  # facts and summaries can wait for the next fold; never the turn
        log.warning("after-reply work failed: %s", describe(error))
        return False
