"""Real `sms-assistant` processes for the crash and scale-out tests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from stores.db import Database
from stores.models import InboxItem, OutboxItem
from stores.settings import Settings
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, TEST_ENCRYPTION_KEY
from tests.fakes.server import free_port
from tests.fakes.twilio_api import ACCOUNT_SID

CLI = str(Path(sys.executable).with_name("sms-assistant"))


def base_env(database_url: str, twilio_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in Settings.model_fields and not k.startswith("LANGSMITH")
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_API_BASE_URL": twilio_url,
            "TWILIO_FROM_NUMBER": "+15005550006",
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "WORKER_POLL_SECONDS": "0.1",
            "SEND_RETRY_INITIAL_SECONDS": "0.01",
            "LOG_LEVEL": "INFO",
            "ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
        }
    )
    env.update(extra)
    return env


class Process:
    """A CLI process in its own process group, with its output in a log file."""

    def __init__(
        self, args: list[str], env: dict[str, str], cwd: Path, log: Path, program: str = CLI
    ) -> None:
        self.log = log
        self._file = log.open("ab")
        self.proc = subprocess.Popen(
            [program, *args],
            env=env,
            cwd=cwd,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill_hard(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: no clean-up code runs."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._file.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._file.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def start_server(env: dict[str, str], cwd: Path, log: Path) -> tuple[Process, str]:
    port = free_port()
    server = Process(["serve", "--port", str(port)], env, cwd, log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.output()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not become healthy in 60 s:\n{server.output()}")


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


async def _inbox_and_outbox(database_url: str) -> tuple[list[InboxItem], list[OutboxItem]]:
    database = Database(database_url)
    try:
        async with database.session() as session:
            inbox = list((await session.execute(select(InboxItem))).scalars())
            outbox = list((await session.execute(select(OutboxItem))).scalars())
    finally:
        await database.dispose()
    return inbox, outbox


def inbox_and_outbox(database_url: str) -> tuple[list[InboxItem], list[OutboxItem]]:
    return asyncio.run(_inbox_and_outbox(database_url))


def settled(database_url: str, texts: int) -> bool:
    """All `texts` answered with their delivery decided, and nothing left to send: from here
    on nothing more can go out (the event that replaces "wait a second for a duplicate")."""
    inbox, outbox = inbox_and_outbox(database_url)
    return (
        len(inbox) == texts
        and all(r.state in ("done", "failed") and r.delivery is not None for r in inbox)
        and all(r.state not in ("pending", "sending") for r in outbox)
    )
