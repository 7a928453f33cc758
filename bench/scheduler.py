"""Reminder scheduler: 10,000 due reminders across 1,000 users, fired through a fake sender.

A temp SQLite file migrated with `stores.migrate.upgrade` gets 1,000 users with 10 reminders
each, due over `--spread` seconds from a moment just ahead (0 = all due at the same instant).
The real `ReminderScheduler` (default poll interval from settings) and the real `OutboxSender`
run as in `serve`, with a fake transport that records when each text would have left.

Lateness is measured per reminder from its due time to (a) its outbox row (the scheduler's
part) and (b) the fake send (scheduler + sender). Quiet hours are off and the daily cap is
above 10 per user, so nothing is held on purpose. Run from the repo root:

    .venv/bin/python bench/scheduler.py [--users 1000] [--per-user 10] [--spread 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import insert, select  # noqa: E402

from messaging.scheduler import ReminderScheduler  # noqa: E402
from messaging.sender import OutboxSender  # noqa: E402
from messaging.transport import Sent  # noqa: E402
from stores.clock import SystemClock  # noqa: E402
from stores.db import Database  # noqa: E402
from stores.migrate import upgrade  # noqa: E402
from stores.models import OutboxItem, Reminder, User  # noqa: E402
from stores.settings import Settings  # noqa: E402

GOAL_P99_S = 2.0


class FakeTransport:
    """Records when each body would have been sent."""

    def __init__(self, expected: int) -> None:
        self.sent_at: dict[str, float] = {}
        self.expected = expected
        self.all_sent = asyncio.Event()
        self.calls = 0

    async def send(self, *, to: str, from_: str | None, body: str, status_callback: str | None):
        self.sent_at[body.split(".", 1)[0].removeprefix("Reminder: ")] = time.time()
        if len(self.sent_at) >= self.expected:
            self.all_sent.set()
        self.calls += 1
        return Sent(sid=f"SMfake{self.calls:026d}", status="sent")

    async def close(self) -> None:
        return None


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(pct / 100 * len(ordered)), 1) - 1]


async def seed(database: Database, users: int, per_user: int, start: datetime, spread: float):
    now = datetime.now(UTC)
    async with database.session() as session:
        await session.execute(
            insert(User),
            [
                dict(phone=f"+1415{n:07d}", name=f"user{n}", timezone="UTC", status="active",
                     created_at=now, updated_at=now)
                for n in range(users)
            ],
        )  # fmt: skip
        ids = list((await session.execute(select(User.id).order_by(User.id))).scalars())
        total = users * per_user
        rows = []
        for index in range(total):
            due = start + timedelta(seconds=spread * index / total)
            rows.append(
                dict(user_id=ids[index % users], number=index // users + 1, channel="sms",
                     text=f"r{index}", timezone="UTC", occurs_at=due, due_at=due, urgent=False,
                     state="scheduled", created_at=now, updated_at=now)
            )  # fmt: skip
        await session.execute(insert(Reminder), rows)
    return {
        f"r{i}": (start + timedelta(seconds=spread * i / total)).timestamp() for i in range(total)
    }


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=url, quiet_hours_start="00:00",
            quiet_hours_end="00:00", proactive_daily_cap=1000, twilio_validate_signature=False,
        )  # fmt: skip
        database = Database(url)
        start = datetime.now(UTC) + timedelta(seconds=3)
        due = await seed(database, args.users, args.per_user, start, args.spread)
        clock = SystemClock()
        transport = FakeTransport(len(due))
        scheduler = ReminderScheduler(database=database, settings=settings, clock=clock)
        sender = OutboxSender(
            database=database, transport=transport, settings=settings, clock=clock
        )
        tasks = [
            asyncio.create_task(scheduler.run_forever()),
            asyncio.create_task(sender.run_forever()),
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(transport.all_sent.wait(), timeout=args.spread + 300)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        async with database.session() as session:
            queued = {
                row.body.split(".", 1)[0].removeprefix("Reminder: "): row.created_at.timestamp()
                for row in (await session.execute(select(OutboxItem))).scalars()
            }
        await database.dispose()
    window = max(transport.sent_at.values()) - start.timestamp()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")
    print(f"{len(due)} reminders, {args.users} users, due over {args.spread:g} s, "
          f"poll {settings.scheduler_poll_seconds:g} s")  # fmt: skip
    print(f"queued {len(queued)}, sent {len(transport.sent_at)} in {window:.1f} s "
          f"({len(transport.sent_at) / window:.0f}/s end to end)")  # fmt: skip
    for label, moments in (("due -> outbox row", queued), ("due -> fake send", transport.sent_at)):
        late = [max(moments[key] - due[key], 0.0) for key in moments]
        print(f"{label:18} lateness p50 {percentile(late, 50):.2f} s  p99 "
              f"{percentile(late, 99):.2f} s  max {max(late):.2f} s")  # fmt: skip
    late = [max(transport.sent_at[k] - due[k], 0.0) for k in transport.sent_at]
    met = percentile(late, 99) <= GOAL_P99_S and len(transport.sent_at) == len(due)
    print(f"goal p99 end-to-end lateness <= {GOAL_P99_S:g} s: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--per-user", type=int, default=10)
    parser.add_argument("--spread", type=float, default=30.0, help="seconds the due times span")
    asyncio.run(main(parser.parse_args()))
