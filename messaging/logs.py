"""Logging set-up. Log lines carry classes, ids and masked numbers; never bodies or tokens.

Every record gets the request id and the MessageSid of the request it happened in (from context
variables the request middleware and `log_context` set), so one webhook's lines can be found
together. `configure_logging(..., json_lines=True)` writes one JSON object per line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

# Loggers that print SQL parameters or request URLs (message bodies, credentials) at DEBUG/INFO.
CHATTY_LOGGERS = (
    "aiosqlite",
    "sqlalchemy.engine",
    "httpx",
    "httpcore",
    "openai",
    "twilio.http_client",
)

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
message_sid_var: ContextVar[str | None] = ContextVar("message_sid", default=None)


@contextmanager
def log_context(*, request_id: str | None = None, message_sid: str | None = None) -> Iterator[None]:
    """Tag every record logged inside the block (and in tasks started from it)."""
    tokens = []
    if request_id is not None:
        tokens.append((request_id_var, request_id_var.set(request_id)))
    if message_sid is not None:
        tokens.append((message_sid_var, message_sid_var.set(message_sid)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class CorrelationFilter(logging.Filter):
    """Copies the request id and MessageSid of the current context onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.message_sid = message_sid_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, correlation ids, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for field in ("request_id", "message_sid"):
            value = getattr(record, field, None)
            if value:
                entry[field] = value
        for field, value in getattr(record, "fields", {}).items():
            entry.setdefault(field, value)
        if record.exc_info:
            entry["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(message_sid)s]: %(message)s"


def silence_chatty_loggers() -> None:
    """Hold loggers that would print message bodies or tokens at WARNING, whatever LOG_LEVEL."""
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure_logging(level: str, *, json_lines: bool = True) -> None:
    """Root handler on stderr. Uvicorn's loggers propagate to it (run uvicorn with
    log_config=None) so its lines get the same format and ids."""
    handler = logging.StreamHandler()
    handler.addFilter(CorrelationFilter())
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Our middleware writes one line per request with the request id; uvicorn's own access log
    # would repeat it without the ids (and with the query string).
    logging.getLogger("uvicorn.access").disabled = True
    silence_chatty_loggers()
