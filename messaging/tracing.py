"""LangSmith tracing: off unless LANGSMITH_TRACING=true, never required.

LangChain and LangGraph read LangSmith's standard variables themselves (LANGSMITH_TRACING,
LANGSMITH_API_KEY, LANGSMITH_PROJECT, LANGSMITH_ENDPOINT). Two things are done here:
- values written in `.env` are exported to the process environment, because pydantic-settings
  only reads `.env` into our Settings and LangSmith would never see them;
- tracing switched on without an API key is switched back off with one warning, instead of
  every turn logging a failed upload.
Note that traces contain message text: turn it on only for a LangSmith project you may use for
your users' data.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from dotenv import dotenv_values

log = logging.getLogger(__name__)

VARIABLES = ("LANGSMITH_TRACING", "LANGSMITH_API_KEY", "LANGSMITH_PROJECT", "LANGSMITH_ENDPOINT")
TRUE = {"1", "true", "yes", "on"}


def _enabled() -> bool:
    return os.environ.get("LANGSMITH_TRACING", "").strip().lower() in TRUE


def configure_tracing(env_file: Path | None = Path(".env")) -> bool:
    """Apply the LangSmith switches (environment wins over .env). True when tracing is on."""
    if env_file is not None and env_file.is_file():
        for name, value in dotenv_values(env_file).items():
            if name in VARIABLES and value and name not in os.environ:
                os.environ[name] = value
    if not _enabled():
        return False
    if not os.environ.get("LANGSMITH_API_KEY", "").strip():
        log.warning("LANGSMITH_TRACING is on but LANGSMITH_API_KEY is not set: tracing stays off")
        os.environ["LANGSMITH_TRACING"] = "false"
        return False
    log.info("LangSmith tracing on (project %s)", os.environ.get("LANGSMITH_PROJECT", "default"))
    return True


def tracing_summary() -> str:
    """What the admin shows: whether turns are traced, and where (never the key)."""
    if not _enabled() or not os.environ.get("LANGSMITH_API_KEY", "").strip():
        return "off"
    return f"LangSmith, project {os.environ.get('LANGSMITH_PROJECT', 'default')}"
