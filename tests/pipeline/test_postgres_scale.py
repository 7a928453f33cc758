"""Scale-out on Postgres: 2 API processes + 2 worker processes, 200 conversations x 3 texts."""

import asyncio
import random
from collections import defaultdict

import httpx
import pytest
from sqlalchemy import select

from api.signature import sign
from stores import users
from stores.clock import SystemClock
from stores.db import Database
from stores.models import InboxItem, Interaction, Note
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.helpers import twilio_form
from tests.pipeline.processes import Process, base_env, start_server, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CONVERSATIONS = 200
TEXTS_EACH = 3


def phone(i: int) -> str:
    return f"+1415555{i:04d}"


async def _register(database_url):
    database = Database(database_url)
    async with database.session() as session:
        for i in range(CONVERSATIONS):
            await users.add_user(
                session, phone=phone(i), name=f"U{i}", timezone="UTC", clock=SystemClock()
            )
    await database.dispose()


async def _send_all(urls):
    """Each conversation's texts in order; conversations interleaved, 24 requests in flight."""
    texts = [(i, k) for k in range(TEXTS_EACH) for i in range(CONVERSATIONS)]
    random.Random(7).shuffle(texts)
    texts.sort(key=lambda t: t[1])  # text k of a conversation goes after its text k-1
    slots = asyncio.Semaphore(24)
    replies = {}

    async def post(client, i, k):
        params = twilio_form(f"note: c{i} t{k}", phone(i))
        sid = dict(params)["MessageSid"]
        signature = sign(PUBLIC_BASE_URL + "/twilio/sms", params, AUTH_TOKEN)
        async with slots:
            response = await client.post(
                urls[(i + k) % len(urls)] + "/twilio/sms",
                data=dict(params),
                headers={"X-Twilio-Signature": signature},
            )
        assert response.status_code == 200, response.text
        replies[sid] = response.text

    async with httpx.AsyncClient(timeout=30) as client:
        for k in range(TEXTS_EACH):
            await asyncio.gather(*(post(client, i, kk) for i, kk in texts if kk == k))
    return replies


async def _results(database_url):
    database = Database(database_url)
    async with database.session() as session:
        inbox = (await session.execute(select(InboxItem).order_by(InboxItem.id))).scalars().all()
        notes = (await session.execute(select(Note))).scalars().all()
        runs = (await session.execute(select(Interaction))).scalars().all()
    await database.dispose()
    return inbox, notes, runs


def test_two_apis_and_two_workers_answer_600_texts_once_each(postgres_url, fake_twilio, tmp_path):
    fake, twilio_url = fake_twilio
    asyncio.run(_register(postgres_url))
    env = base_env(postgres_url, twilio_url, SERVE_EMBEDDED_WORKER="off", LOG_LEVEL="WARNING")
    processes: list[Process] = []
    try:
        urls = []
        for n in range(2):
            server, url = start_server(env, tmp_path, tmp_path / f"api{n}.log")
            processes.append(server)
            urls.append(url)
        for n in range(2):
            processes.append(Process(["worker"], env, tmp_path, tmp_path / f"worker{n}.log"))
        twiml_replies = asyncio.run(_send_all(urls))
        total = CONVERSATIONS * TEXTS_EACH
        inline = {sid for sid, text in twiml_replies.items() if "<Message>" in text}

        def all_answered():
            return len(inline) + len(fake.sent) >= total

        wait_until(all_answered, 60, "every text to be answered")
    finally:
        for process in processes:
            process.stop()
    logs = "\n".join(p.output() for p in processes)
    inbox, notes, runs = asyncio.run(_results(postgres_url))
    assert len(inbox) == total
    assert all(row.state == "done" for row in inbox), logs
    # Exactly one reply per text: TwiML or REST, never both, never neither.
    rest = {row.message_sid for row in inbox if row.delivery == "outbox"}
    assert len(inline) + len(rest) == total
    assert not inline & rest
    assert len(fake.sent) == len(rest)
    assert len(runs) == total
    # Each conversation's notes were saved in arrival order, numbered 1..3.
    by_user = defaultdict(list)
    arrival = {row.body.removeprefix("note: "): row.id for row in inbox}
    for note in notes:
        by_user[note.user_id].append(note)
    assert len(by_user) == CONVERSATIONS
    for saved in by_user.values():
        ordered = sorted(saved, key=lambda n: n.number)
        assert [n.number for n in ordered] == [1, 2, 3]
        assert [arrival[n.text] for n in ordered] == sorted(arrival[n.text] for n in ordered)
