"""Turns in flight: 150 texts from 50 users while the LLM takes 20 s a call.

ours: the message pipeline of one process (worker, sender; SQLite) with the real ChatOpenAI
against a fake OpenAI-compatible server that answers after `--llm-seconds`. Each user sends
three texts, `--llm-seconds` + 1 apart (so a reply can be back before the next text), the users
staggered over the first 2 s. A text's latency runs from its arrival in the inbox to its reply
handed to (fake) Twilio.
peer: the floor: the same schedule of calls straight to the same fake LLM with ChatOpenAI,
nothing else. The gap between the two is what the pipeline adds.

    .venv/bin/python -m bench.turns_in_flight [--llm-seconds 20] [--users 50] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import Goal, Series, alternate, bench_settings, report

TEXTS_EACH = 3
GOAL_SECONDS = 60.0


def phone(n: int) -> str:
    return f"+1415555{n:04d}"


def schedule(users: int, llm_seconds: float) -> list[tuple[float, int, int]]:
    """(seconds after start, user, text number), in time order."""
    return sorted(
        (k * (llm_seconds + 1) + 2.0 * u / users, u, k)
        for u in range(users)
        for k in range(TEXTS_EACH)
    )


async def run_ours(directory: Path, llm_url: str, users: int, llm_seconds: float) -> list[float]:
    from messaging.pipeline import Pipeline
    from stores import inbox
    from stores import users as user_store
    from stores.checkpointer import open_checkpointer
    from stores.clock import SystemClock
    from stores.db import Database
    from stores.inbox import InboundSms
    from stores.migrate import upgrade
    from tests.fakes.twilio_api import ACCOUNT_SID, FakeTwilio

    url = f"sqlite:///{directory / f'{uuid.uuid4().hex}.db'}"
    await asyncio.to_thread(upgrade, url)
    twilio = FakeTwilio()
    with twilio.serve() as twilio_server:
        settings = bench_settings(
            url,
            openai_base_url=llm_url,
            openai_api_key="sk-bench",
            llm_model="fake",
            llm_timeout_seconds=llm_seconds * 3,
            twilio_account_sid=ACCOUNT_SID,
            twilio_api_base_url=twilio_server.url,
            twilio_from_number="+15005550006",
            worker_poll_seconds=0.05,
        )
        database, clock = Database(url), SystemClock()
        async with database.session() as session:
            for u in range(users):
                await user_store.add_user(
                    session, phone=phone(u), name=f"U{u}", timezone="UTC", clock=clock
                )
        arrived: dict[tuple[str, int], float] = {}
        sent_at: dict[tuple[str, int], float] = {}
        waiters = []

        async def webhook_wait(inbox_id: int, key: tuple[str, int]) -> None:
            # As the webhook does: TwiML if the reply is ready within the deadline, else the
            # outbox sends it (and the fake Twilio records it, below).
            loop = asyncio.get_running_loop()
            deadline = loop.time() + settings.reply_deadline_seconds
            if await pipeline.wait_for_reply(inbox_id, deadline):
                sent_at.setdefault(key, time.monotonic())

        async with open_checkpointer(url) as saver:
            pipeline = Pipeline(
                settings=settings, database=database, checkpointer=saver, clock=clock
            )
            pipeline.start_background()
            started = time.monotonic()
            for at, u, k in schedule(users, llm_seconds):
                await asyncio.sleep(max(0.0, started + at - time.monotonic()))
                inbound = InboundSms(
                    message_sid=f"SM{uuid.uuid4().hex}",
                    from_number=phone(u),
                    channel="sms",
                    body=f"hi {k}",
                )
                async with database.session() as session:
                    row, _ = await inbox.receive(session, inbound=inbound, clock=clock)
                arrived[(phone(u), k)] = time.monotonic()
                pipeline.signal.wake()
                waiters.append(asyncio.create_task(webhook_wait(row.id, (phone(u), k))))
            deadline = time.monotonic() + 10 * llm_seconds + 60
            while len(sent_at) < len(arrived) and time.monotonic() < deadline:
                for message in list(twilio.sent):
                    k = int(message["Body"].rsplit(" ", 1)[-1])  # "You said: hi <k>"
                    sent_at.setdefault((message["To"], k), time.monotonic())
                await asyncio.sleep(0.1)
            await asyncio.gather(*waiters)
            await pipeline.stop()
        await database.dispose()
    if len(sent_at) < len(arrived):
        raise RuntimeError(f"only {len(sent_at)} of {len(arrived)} replies were sent")
    return [sent_at[key] - arrived[key] for key in arrived]


async def run_peer(llm_url: str, users: int, llm_seconds: float) -> list[float]:
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(
        model="fake",
        base_url=llm_url,
        api_key="sk-bench",
        timeout=llm_seconds * 3,  # type: ignore[arg-type]
    )
    started = time.monotonic()
    latencies: list[float] = []

    async def one(at: float, k: int) -> None:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        sent = time.monotonic()
        await model.ainvoke(f"hi {k}")
        latencies.append(time.monotonic() - sent)

    await asyncio.gather(*(one(at, k) for at, _, k in schedule(users, llm_seconds)))
    return latencies


def main(llm_seconds: float, users: int, repeats: int) -> int:
    from tests.fakes.openai_api import FakeOpenAI

    ours_worst = Series("ours: slowest reply after its text", "s")
    ours_median = Series("ours: median reply after its text", "s")
    peer_worst = Series("peer (LLM calls alone): slowest", "s")
    peer_median = Series("peer (LLM calls alone): median", "s")
    llm = FakeOpenAI(delay_seconds=llm_seconds)
    # One loop for every run: LangChain's OpenAI client keeps a process-wide HTTP pool.
    loop = asyncio.new_event_loop()
    with llm.serve() as server, tempfile.TemporaryDirectory(prefix="in-flight-") as tmp:
        llm_url = server.url + "/v1"

        def ours() -> None:
            latencies = sorted(
                loop.run_until_complete(run_ours(Path(tmp), llm_url, users, llm_seconds))
            )
            ours_worst.values.append(latencies[-1])
            ours_median.values.append(latencies[len(latencies) // 2])

        def peer() -> None:
            latencies = sorted(loop.run_until_complete(run_peer(llm_url, users, llm_seconds)))
            peer_worst.values.append(latencies[-1])
            peer_median.values.append(latencies[len(latencies) // 2])

        alternate(repeats, [ours, peer])
    texts = users * TEXTS_EACH
    return report(
        "turns_in_flight",
        f"Turns in flight: {texts} texts from {users} users, LLM {llm_seconds:.0f} s a call, "
        f"{repeats} alternated repeats (one process, SQLite, default TURN_CONCURRENCY and "
        "LLM_CONCURRENCY)",
        [ours_worst, ours_median, peer_worst, peer_median],
        [
            Goal(
                f"every reply within {GOAL_SECONDS:.0f} s of its text",
                ours_worst.median <= GOAL_SECONDS,
                f"slowest {ours_worst.median:.1f} s (median of repeats)",
            )
        ],
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--llm-seconds", type=float, default=20.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.exit(main(args.llm_seconds, args.users, args.repeats))
