"""What every command group shares: output, errors, settings, the schema check, phone numbers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from stores import crypto
from stores.settings import ConfigurationError, Settings, get_settings

out = Console()
err = Console(stderr=True)
T = TypeVar("T")


def say(text: str) -> None:
    """Print a line as typed: names, numbers and replies are not Rich markup, and a piped
    stdout (80 columns) does not get newlines inserted into them."""
    out.print(Text(text), soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(Text.assemble(("Error:", "red"), " ", message), soft_wrap=True)
    raise typer.Exit(code)


def describe_error(error: BaseException) -> str:
    """`Class: first line of the message` (SQLAlchemy appends a multi-line background link)."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def settings() -> Settings:
    try:
        return get_settings()
    except ConfigurationError as error:
        fail(str(error), code=2)


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(factory())  # type: ignore[arg-type]


def require_current_schema(config: Settings) -> None:
    from stores.db import sqlite_path
    from stores.migrate import pending_revisions

    path = sqlite_path(config.database_url)
    if path is not None and not path.exists():
        # Opening it would create an empty file (or fail when its folder is missing).
        fail(f"there is no database at {path}: run `sms-assistant migrate` first")
    try:
        pending = pending_revisions(config.database_url)
    except Exception as error:
        fail(f"cannot open the database ({describe_error(error)})")
    if pending:
        fail(
            f"the database schema is not current ({len(pending)} migration(s) pending): "
            "run `sms-assistant migrate` first"
        )
    try:
        crypto.configure(config)
    except ConfigurationError as error:
        fail(str(error), code=2)


def phone_number(raw: str, config: Settings) -> str:
    from stores.phones import InvalidPhoneNumber, normalise_phone

    try:
        return normalise_phone(raw, default_region=config.default_region)
    except InvalidPhoneNumber as error:
        fail(f"--phone: {error}", code=2)
