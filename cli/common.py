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
    """Every command that touches the database starts here. The embedded SQLite database is
    created and migrated on first use (a note on stderr says so); Postgres must be migrated
    explicitly, with `sms-assistant migrate`."""
    from stores.migrate import SchemaNotCurrent, ensure_schema

    try:
        applied = ensure_schema(config.database_url)
    except SchemaNotCurrent as error:
        fail(str(error))
    except Exception as error:
        fail(f"cannot open the database ({describe_error(error)})")
    if applied:
        err.print(
            f"note: migrated the local database ({len(applied)} migration(s) applied)",
            soft_wrap=True,
            highlight=False,
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
