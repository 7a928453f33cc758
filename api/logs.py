"""Logging set-up. Log lines carry classes, ids and masked numbers; never bodies or tokens."""

from __future__ import annotations

import logging


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    # httpx logs full request URLs at INFO, which may carry credentials in query strings.
    logging.getLogger("httpx").setLevel(logging.WARNING)
