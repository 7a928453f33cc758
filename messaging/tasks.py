"""Shutting down background work without hanging: cancel, wait a bounded time, say what lingered."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 10.0
"""How long shutdown waits for cancelled loops and turns; what is still running after it is
logged and left (its row is recovered by the next start), so a stop never hangs."""


async def stop_tasks(tasks: Iterable[asyncio.Task[object]], owner: str) -> None:
    """Cancel `tasks` and wait for them, at most STOP_GRACE_SECONDS."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if not pending:
        return
    _, stuck = await asyncio.wait(pending, timeout=STOP_GRACE_SECONDS)
    for task in stuck:
        frames = task.get_stack(limit=3)
        where = frames[-1].f_code.co_name if frames else "?"
        log.warning(
            "%s stop: a task did not end within %.0f s (in %s)", owner, STOP_GRACE_SECONDS, where
        )
