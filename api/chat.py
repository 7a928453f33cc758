"""`sms-assistant chat`: a terminal conversation through the same inbox and runner as a text."""

from __future__ import annotations

import asyncio
import secrets
import sys

from rich.console import Console

from api.runner import TurnFailed, TurnRunner
from stores import inbox, users
from stores.checkpointer import open_checkpointer
from stores.clock import SystemClock
from stores.db import Database
from stores.inbox import InboundSms
from stores.settings import Settings

PROMPT = "you> "
QUIT_WORDS = {"/quit", "/exit", "quit", "exit"}


async def _read_line() -> str | None:
    line = await asyncio.to_thread(sys.stdin.readline)
    return line.rstrip("\n") if line else None


async def run_chat(config: Settings, phone: str, console: Console) -> int:
    clock = SystemClock()
    database = Database(config.database_url)
    try:
        async with database.session() as session:
            user = await users.get_user_by_phone(session, phone=phone)
        if user is None:
            console.print(
                f"{phone} is not registered: `sms-assistant users add --phone {phone} ...`"
            )
            return 1
        console.print(f"Chatting as {user.name} ({phone}). Type /quit or Ctrl-D to leave.")
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
                try:
                    result = await runner.run(row.id)
                except TurnFailed as failure:
                    console.print(f"assistant> (error: {type(failure.cause).__name__})")
                    continue
                console.print(f"assistant> {result.reply or '(no reply)'}", highlight=False)
    finally:
        await database.dispose()
