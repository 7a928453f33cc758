"""Turns per second with 1 and with 2 `sms-assistant worker` processes on Postgres.

Queues N texts straight into the inbox (no HTTP), starts the workers, and times until every row
is done. Offline planner, a throwaway database on the local server, a fake Twilio endpoint for
the (few) REST sends. The rows are encrypted with the same key the workers get (it used to be a
generated one, which the workers could not read: the bench waited forever). Each repeat runs 1
worker then 2 (alternated). Goal: >= 1.6x the turns/s with 2 workers than with 1 (on a machine
with 2 cores shared with the database and the bench itself, that is a ceiling, not a floor).

    .venv/bin/python -m bench.postgres_scale [--texts 600] [--repeats 3] [--admin-url ...]
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

from sqlalchemy import create_engine, func, select, text

from bench.common import Goal, Series, alternate, bench_settings, report
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
        bench_settings(url)  # this process encrypts with the key the workers get
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=600)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    one = Series("1 worker: turns/s", "/s", higher_is_better=True)
    two = Series("2 workers: turns/s", "/s", higher_is_better=True)
    fake = FakeTwilio()
    with fake.serve() as server:

        def runner(workers: int, series: Series):
            return lambda: series.values.append(
                run(args.admin_url, workers, args.texts, args.conversations, server.url)
            )

        alternate(args.repeats, [runner(1, one), runner(2, two)])
    ratio = two.median / one.median
    return report(
        "postgres_scale",
        f"Postgres scale-out: {args.texts} texts over {args.conversations} conversations, "
        f"offline planner, {args.repeats} alternated repeats",
        [one, two],
        [Goal("2 workers >= 1.6x the turns/s of 1", ratio >= 1.6, f"{ratio:.2f}x")],
    )


if __name__ == "__main__":
    sys.exit(main())
