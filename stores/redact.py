"""Tracebacks without messages or source: where a failure happened, not what it was about.

An exception's message (and the source line that raised it) may quote what a user wrote, a phone
number or a server's echo of a secret, so swallowed errors are logged as `described(error)`:
the exception's type and the frames it passed through (file:line in function), nothing else.
"""

from __future__ import annotations

import traceback
from pathlib import Path

MAX_FRAMES = 12


def _frames(error: BaseException) -> list[str]:
    summary = traceback.StackSummary.extract(
        traceback.walk_tb(error.__traceback__), limit=None, lookup_lines=False
    )
    return [f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in summary][-MAX_FRAMES:]


def described(error: BaseException) -> str:
    """`ConnectionError at runner.py:170 in _run > ... > helpers.py:101 in _generate`, with the
    exception it was raised from, if any, the same way."""
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None and len(parts) < 3:
        frames = _frames(current)
        where = f" at {' > '.join(frames)}" if frames else ""
        parts.append(f"{type(current).__name__}{where}")
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return "; from ".join(parts)
