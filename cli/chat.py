"""`sms-assistant chat`: a terminal conversation through the same inbox and runner as a text."""

from __future__ import annotations

import asyncio
import secrets
import sys

from rich.console import Console
from rich.text import Text

from messaging.runner import TurnRunner
from stores import inbox, users
from stores.checkpointer import open_checkpointer
from stores.clock import SystemClock
from stores.db import Database
from stores.inbox import InboundSms
from stores.settings import Settings

PROMPT = "you> "
QUIT_WORDS = {"/quit", "/exit", "quit", "exit"}


class NotRegistered(LookupError):
    """The phone number given to `chat` belongs to nobody registered."""


async def _read_line() -> str | None:
    line = await asyncio.to_thread(sys.stdin.readline)
    return line.rstrip("\r\n") if line else None


def _say(console: Console, text: str) -> None:
    # Replies and names are the user's text: never read them as Rich markup or emoji codes,
    # and never hard-wrap them at the (80-column, when piped) console width.
    console.print(Text(text), soft_wrap=True)


async def run_chat(config: Settings, phone: str, console: Console) -> int:
    """Read lines from stdin until /quit or EOF. Raises NotRegistered for an unknown number."""
    clock = SystemClock()
    database = Database(config.database_url)
    try:
        async with database.session() as session:
            user = await users.get_user_by_phone(session, phone=phone)
        if user is None:
            raise NotRegistered(
                f"{phone} is not registered: "
                f"`sms-assistant users add --phone {phone} --name ...` first"
            )
        _say(console, f"Chatting as {user.name} ({phone}). Type /quit or Ctrl-D to leave.")
        async with open_checkpointer(config.database_url) as checkpointer:
            runner = TurnRunner(
                database=database, checkpointer=checkpointer, settings=config, clock=clock
            )
            while True:
                console.print(PROMPT, end="")
                text = await _read_line()
                if text is None or text.strip().lower() in QUIT_WORDS:
                    console.print()
                    return 0
                if not text.strip():
                    continue
                inbound = InboundSms(
                    message_sid="SMcli" + secrets.token_hex(14),
                    from_number=phone,
                    channel="sms",
                    body=text,
                )
                async with database.session() as session:
                    row, _ = await inbox.receive(session, inbound=inbound, clock=clock)
                result = await runner.run(row.id)
                _say(console, f"assistant> {result.reply or '(no reply)'}")
    finally:
        await database.dispose()
