"""Turns per second with 1 and with 2 `sms-assistant worker` processes on Postgres.

Queues N texts straight into the inbox (no HTTP), starts the workers, and times until every row
is done. Offline planner, a throwaway database on the local server, a fake Twilio endpoint for
the (few) REST sends. Goal: >= 1.6x the turns/s with 2 workers than with 1.

    .venv/bin/python bench/postgres_scale.py [--texts 600] [--admin-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, select, text

from stores import inbox, users
from stores.clock import SystemClock
from stores.db import Database
from stores.inbox import InboundSms
from stores.migrate import upgrade
from stores.models import InboxItem
from tests.fakes.twilio_api import FakeTwilio
from tests.pipeline.processes import Process, base_env, wait_until


async def add_users(url: str, conversations: int) -> None:
    database = Database(url)
    async with database.session() as session:
        for i in range(conversations):
            await users.add_user(
                session, phone=f"+1415555{i:04d}", name=f"U{i}", timezone="UTC", clock=SystemClock()
            )
    await database.dispose()


async def queue_texts(url: str, texts: int, conversations: int) -> None:
    """All texts in one transaction: the workers see them at once, at its commit."""
    database = Database(url)
    clock = SystemClock()
    async with database.session() as session:
        for n in range(texts):
            i = n % conversations
            await inbox.receive(
                session,
                clock=clock,
                inbound=InboundSms(
                    message_sid=f"SM{uuid.uuid4().hex}",
                    from_number=f"+1415555{i:04d}",
                    channel="sms",
                    body=f"note: text {n}",
                ),
            )
    await database.dispose()


async def remaining(url: str) -> int:
    database = Database(url)
    async with database.session() as session:
        query = select(func.count(InboxItem.id)).where(InboxItem.state != "done")
        left = int((await session.execute(query)).scalar_one())
    await database.dispose()
    return left


def run(admin_url: str, workers: int, texts: int, conversations: int, twilio_url: str) -> float:
    name = f"sms_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    processes: list[Process] = []
    try:
        upgrade(url)
        asyncio.run(add_users(url, conversations))
        env = base_env(url, twilio_url, LOG_LEVEL="INFO", WORKER_POLL_SECONDS="0.05")
        tmp = Path(tempfile.mkdtemp())
        processes = [Process(["worker"], env, tmp, tmp / f"w{n}.log") for n in range(workers)]
        wait_until(
            lambda: all("worker started" in p.output() for p in processes),
            60,
            "the workers to start",
        )
        asyncio.run(queue_texts(url, texts, conversations))
        started = time.monotonic()  # process start-up and queueing are not measured
        while asyncio.run(remaining(url)):
            if time.monotonic() - started > 600:
                raise RuntimeError("workers did not finish in 600 s")
            time.sleep(0.2)
        elapsed = time.monotonic() - started
    finally:
        for process in processes:
            process.stop()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return texts / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=600)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    fake = FakeTwilio()
    with fake.serve() as server:
        results = {
            n: run(args.admin_url, n, args.texts, args.conversations, server.url) for n in (1, 2)
        }
    print(
        f"postgres scale-out: {args.texts} texts over {args.conversations} conversations, "
        f"offline planner, {os.cpu_count()} CPUs"
    )
    for n, rate in results.items():
        print(f"  {n} worker(s): {rate:7.1f} turns/s")
    ratio = results[2] / results[1]
    verdict = "MET" if ratio >= 1.6 else "NOT MET"
    print(f"  ratio 2/1: {ratio:.2f}x   goal >= 1.6x: {verdict}")


if __name__ == "__main__":
    main()
