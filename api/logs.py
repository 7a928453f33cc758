"""Logging set-up. Log lines carry classes, ids and masked numbers; never bodies or tokens."""

from __future__ import annotations

import logging

# Loggers that print SQL parameters or request URLs (message bodies, credentials) at DEBUG/INFO.
CHATTY_LOGGERS = (
    "aiosqlite",
    "sqlalchemy.engine",
    "httpx",
    "httpcore",
    "openai",
    "twilio.http_client",
)


def silence_chatty_loggers() -> None:
    """Hold loggers that would print message bodies or tokens at WARNING, whatever LOG_LEVEL."""
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    silence_chatty_loggers()
