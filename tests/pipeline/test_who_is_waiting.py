"""Real `serve` processes: a reply goes inline only to a webhook that is still there; after a
kill -9 or a hang-up it goes by REST, once."""

import asyncio
import threading
from collections import Counter

import httpx
import pytest

from api.signature import sign
from stores.db import Database
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fakes.openai_api import FakeOpenAI
from tests.helpers import add_user, twilio_form
from tests.pipeline.processes import (
    base_env,
    inbox_and_outbox,
    settled,
    start_server,
    wait_until,
)

pytestmark = pytest.mark.slow


def phone(i: int) -> str:
    return f"+1415555{i:04d}"


async def _register(database_url, clock, count):
    database = Database(database_url)
    for i in range(count):
        await add_user(database, clock, phone(i), name=f"U{i}")
    await database.dispose()


def post_text(url: str, body: str, sender: str, timeout: float) -> httpx.Response | None:
    params = twilio_form(body, sender)
    signature = sign(PUBLIC_BASE_URL + "/twilio/sms", params, AUTH_TOKEN)
    try:
        return httpx.post(
            url + "/twilio/sms",
            data=dict(params),
            timeout=timeout,
            headers={"X-Twilio-Signature": signature},
        )
    except httpx.HTTPError:
        return None  # the server died or we hung up: the reply must still come, by REST


def test_kill_9_with_four_texts_mid_turn_and_four_queued_answers_each_once(
    sqlite_url, clock, fake_twilio, tmp_path
):
    fake, twilio_url = fake_twilio
    asyncio.run(_register(sqlite_url, clock, 8))
    # The first process's turns hang in the LLM until the kill; after the restart it is quick.
    llm = FakeOpenAI(delays=[60.0] * 4, delay_seconds=0.2)
    with llm.serve() as llm_server:
        env = base_env(
            sqlite_url,
            twilio_url,
            OPENAI_BASE_URL=llm_server.url + "/v1",
            OPENAI_API_KEY="sk-test",
            LLM_MODEL="fake",
            TURN_CONCURRENCY="4",
            REPLY_DEADLINE_SECONDS="10",
        )
        log = tmp_path / "server.log"
        server, url = start_server(env, tmp_path, log)
        try:
            posts = [
                threading.Thread(target=post_text, args=(url, f"hello {i}", phone(i), 30))
                for i in range(8)
            ]
            for post in posts:
                post.start()

            def four_running_four_queued():
                inbox, _ = inbox_and_outbox(sqlite_url)
                states = Counter(r.state for r in inbox)
                return llm.calls >= 4 and states == {"processing": 4, "received": 4}

            wait_until(four_running_four_queued, 30, "4 texts mid-turn and 4 queued")
            server.kill_hard()  # every webhook is still waiting, within its deadline
            for post in posts:
                post.join(timeout=10)
        finally:
            server.stop()
        assert fake.sent == []

        server, url = start_server(env, tmp_path, log)  # the same data, a new process
        try:
            wait_until(lambda: settled(sqlite_url, 8), 90, "every text to be answered")
        finally:
            server.stop()
    inbox, outbox = inbox_and_outbox(sqlite_url)
    assert sorted(m["To"] for m in fake.sent) == [phone(i) for i in range(8)], server.output()
    for i in range(8):
        assert fake.bodies_to(phone(i)) == [f"You said: hello {i}"]
    assert {r.delivery for r in inbox} == {"outbox"}
    assert {r.state for r in outbox} == {"sent"}


def test_a_caller_who_hangs_up_mid_turn_gets_the_reply_by_rest(
    sqlite_url, clock, fake_twilio, tmp_path
):
    fake, twilio_url = fake_twilio
    asyncio.run(_register(sqlite_url, clock, 1))
    llm = FakeOpenAI(delay_seconds=3.0)
    with llm.serve() as llm_server:
        env = base_env(
            sqlite_url,
            twilio_url,
            OPENAI_BASE_URL=llm_server.url + "/v1",
            OPENAI_API_KEY="sk-test",
            LLM_MODEL="fake",
            REPLY_DEADLINE_SECONDS="10",  # the turn ends well within it
        )
        server, url = start_server(env, tmp_path, tmp_path / "server.log")
        try:
            assert post_text(url, "hello", phone(0), timeout=1.0) is None  # we hung up
            wait_until(lambda: settled(sqlite_url, 1), 30, "the text to be answered")
        finally:
            server.stop()
    assert fake.bodies_to(phone(0)) == ["You said: hello"], server.output()
    [row], [sent] = inbox_and_outbox(sqlite_url)
    assert (row.delivery, sent.state) == ("outbox", "sent")
    assert "caller hung up" in server.output()
