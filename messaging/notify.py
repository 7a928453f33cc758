"""Wake-ups inside one process: a finished turn wakes the webhook waiting for it, a new text
wakes an idle worker. Across processes the same waits fall back to polling the database."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterator


class ReplyNotifier:
    def __init__(self) -> None:
        self._waiting: defaultdict[int, set[asyncio.Event]] = defaultdict(set)

    def notify(self, inbox_id: int) -> None:
        for event in self._waiting.pop(inbox_id, set()):
            event.set()

    @contextlib.contextmanager
    def subscription(self, inbox_id: int) -> Iterator[asyncio.Event]:
        """An event set when `inbox_id` is notified. Subscribe before looking at the row, so a
        notification that lands between the look and the wait is not missed."""
        event = asyncio.Event()
        self._waiting[inbox_id].add(event)
        try:
            yield event
        finally:
            waiting = self._waiting.get(inbox_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._waiting[inbox_id]


class WorkSignal:
    """Set when new work arrives; the worker clears it before looking for work."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)
        self._event.clear()
