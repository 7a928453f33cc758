"""Postgres with `serve` and two `sms-assistant worker` processes: exactly one reply per text
when Twilio answers late and when `serve` is killed mid-load."""

import asyncio
import threading
from collections import Counter

import httpx
import pytest

from api.signature import sign
from stores import outbox
from stores.clock import SystemClock
from stores.db import Database
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fakes.openai_api import FakeOpenAI
from tests.helpers import add_user, twilio_form
from tests.pipeline.processes import (
    Process,
    base_env,
    inbox_and_outbox,
    settled,
    start_server,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

USERS = 20
TEXTS_EACH = 10


def phone(i: int) -> str:
    return f"+1415555{i:04d}"


async def _register(database_url, users):
    database = Database(database_url)
    for i in range(users):
        await add_user(database, SystemClock(), phone(i), name=f"U{i}")
    await database.dispose()


async def _enqueue_one(database_url):
    database = Database(database_url)
    async with database.session() as session:
        await outbox.enqueue(
            session,
            outgoing=outbox.Outgoing(
                idempotency_key="reminder:1",
                kind="reminder",
                to_number=phone(0),
                channel="sms",
                body="Reminder: call mom.",
            ),
            clock=SystemClock(),
        )
    await database.dispose()


def test_two_workers_send_a_late_answered_message_once(postgres_url, fake_twilio, tmp_path):
    fake, twilio_url = fake_twilio
    asyncio.run(_register(postgres_url, 1))
    # Accepted at once, answered after 8 s: longer than the 1 s send timeout, and longer than
    # the old 6 x timeout lease after which the other worker re-sent it.
    fake.answer_late(8.0)
    env = base_env(postgres_url, twilio_url, SEND_TIMEOUT_SECONDS="1", LOG_LEVEL="INFO")
    workers = [Process(["worker"], env, tmp_path, tmp_path / f"worker{n}.log") for n in range(2)]
    try:
        asyncio.run(_enqueue_one(postgres_url))

        def sent_and_settled():
            _, rows = inbox_and_outbox(postgres_url)
            return [r.state for r in rows] == ["sent"]

        wait_until(sent_and_settled, 60, "the message to be sent")
    finally:
        for worker in workers:
            worker.stop()
    logs = "\n".join(w.output() for w in workers)
    assert fake.bodies_to(phone(0)) == ["Reminder: call mom."], logs
    assert (fake.attempts, fake.lookups) == (1, 1), logs
    _, [row] = inbox_and_outbox(postgres_url)
    assert row.twilio_sid == fake.sent[0]["Sid"]


def _post_all(url: str, texts: list[list[tuple[str, str]]], answers: dict[str, str]) -> None:
    """Post every text (up to 40 at once, each conversation's in order); record the TwiML of
    each that got a 200. Errors (the server was killed) leave the text unrecorded."""

    async def run() -> None:
        slots = asyncio.Semaphore(40)
        async with httpx.AsyncClient(timeout=30) as client:

            async def one(params: list[tuple[str, str]]) -> None:
                signature = sign(PUBLIC_BASE_URL + "/twilio/sms", params, AUTH_TOKEN)
                async with slots:
                    try:
                        response = await client.post(
                            url + "/twilio/sms",
                            data=dict(params),
                            headers={"X-Twilio-Signature": signature},
                        )
                    except httpx.HTTPError:
                        return
                if response.status_code == 200:
                    answers[dict(params)["MessageSid"]] = response.text

            for k in range(TEXTS_EACH):
                await asyncio.gather(*(one(t) for t in texts[k]))

    asyncio.run(run())


def test_kill_9_of_serve_mid_load_with_two_workers_answers_every_text_once(
    postgres_url, fake_twilio, tmp_path
):
    fake, twilio_url = fake_twilio
    asyncio.run(_register(postgres_url, USERS))
    texts = [
        [twilio_form(f"hello u{i} t{k}", phone(i)) for i in range(USERS)] for k in range(TEXTS_EACH)
    ]
    llm = FakeOpenAI(delay_seconds=0.2)
    with llm.serve() as llm_server:
        env = base_env(
            postgres_url,
            twilio_url,
            SERVE_EMBEDDED_WORKER="off",
            OPENAI_BASE_URL=llm_server.url + "/v1",
            OPENAI_API_KEY="sk-test",
            LLM_MODEL="fake",
            REPLY_DEADLINE_SECONDS="2",
            LOG_LEVEL="WARNING",
        )
        workers = [Process(["worker"], env, tmp_path, tmp_path / f"w{n}.log") for n in range(2)]
        server, url = start_server(env, tmp_path, tmp_path / "api.log")
        answers: dict[str, str] = {}
        try:
            poster = threading.Thread(target=_post_all, args=(url, texts, answers))
            poster.start()
            wait_until(
                lambda: len(inbox_and_outbox(postgres_url)[0]) >= 60, 120, "60 texts to arrive"
            )
            server.kill_hard()
            poster.join(timeout=60)
            # Twilio retries what failed (same MessageSid): a text that had arrived is not run
            # again, one that had not arrives now.
            server, url = start_server(env, tmp_path, tmp_path / "api.log")
            retry = [[t for t in batch if dict(t)["MessageSid"] not in answers] for batch in texts]
            _post_all(url, retry, answers)
            wait_until(lambda: settled(postgres_url, USERS * TEXTS_EACH), 180, "every answer")
        finally:
            server.stop()
            for worker in workers:
                worker.stop()
    inbox, _ = inbox_and_outbox(postgres_url)
    inline = Counter(body for text in answers.values() for body in _messages(text))
    rest = Counter(m["Body"] for m in fake.sent)
    expected = {f"You said: hello u{i} t{k}" for i in range(USERS) for k in range(TEXTS_EACH)}
    assert inline and rest  # both paths were taken
    assert set(inline) | set(rest) == expected
    assert not set(inline) & set(rest)
    assert set(inline.values()) <= {1} and set(rest.values()) <= {1}
    assert Counter(r.delivery for r in inbox)["outbox"] == len(rest)


def _messages(twiml: str) -> list[str]:
    import xml.etree.ElementTree as ET

    return [m.text or "" for m in ET.fromstring(twiml).iter("Message")]
