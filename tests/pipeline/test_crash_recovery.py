"""kill -9 of the service in the middle of a turn, then a restart: exactly one reply."""

import asyncio

import httpx
import pytest
from sqlalchemy import select

from api.signature import sign
from stores.db import Database
from stores.models import InboxItem, Note
from tests.conftest import ANN_PHONE, AUTH_TOKEN, PUBLIC_BASE_URL
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


async def _prepare(database_url, clock):
    database = Database(database_url)
    await add_user(database, clock, ANN_PHONE)
    await database.dispose()


async def _state(database_url):
    database = Database(database_url)
    async with database.session() as session:
        notes = (await session.execute(select(Note))).scalars().all()
        inbox = (await session.execute(select(InboxItem))).scalars().all()
    await database.dispose()
    return notes, inbox


@pytest.mark.parametrize(
    "kill_during_llm_call",
    [1, 2, 1],
    ids=["while-planning", "after-the-tool-ran", "while-planning-again"],
)
def test_a_turn_killed_mid_way_is_answered_exactly_once_after_restart(
    sqlite_url, clock, fake_twilio, tmp_path, kill_during_llm_call
):
    fake_twilio_api, twilio_url = fake_twilio
    llm = FakeOpenAI(delays=[0.0] * (kill_during_llm_call - 1) + [30.0])
    asyncio.run(_prepare(sqlite_url, clock))
    with llm.serve() as llm_server:
        env = base_env(
            sqlite_url,
            twilio_url,
            OPENAI_BASE_URL=llm_server.url + "/v1",
            OPENAI_API_KEY="sk-test",
            LLM_MODEL="fake",
            REPLY_DEADLINE_SECONDS="1",
        )
        log = tmp_path / "server.log"
        server, url = start_server(env, tmp_path, log)
        try:
            params = twilio_form("note: buy milk", ANN_PHONE)
            signature = sign(PUBLIC_BASE_URL + "/twilio/sms", params, AUTH_TOKEN)
            response = httpx.post(
                url + "/twilio/sms",
                data=dict(params),
                timeout=10,
                headers={"X-Twilio-Signature": signature},
            )
            assert response.status_code == 200
            assert "<Message>" not in response.text
            # The webhook released the reply to REST at its deadline, the turn still running.
            [row], _ = inbox_and_outbox(sqlite_url)
            assert row.state != "done" and row.delivery == "outbox"
            wait_until(lambda: llm.calls >= kill_during_llm_call, 10, "the LLM call to kill in")
            server.kill_hard()
        finally:
            server.stop()
        assert fake_twilio_api.sent == []
        notes, inbox = asyncio.run(_state(sqlite_url))
        assert inbox[0].state == "processing"

        server, url = start_server(env, tmp_path, log)  # the same data, a new process
        try:
            wait_until(lambda: settled(sqlite_url, 1), 90, "the reply to be sent")  # a cap
        finally:
            server.stop()
    assert fake_twilio_api.bodies_to(ANN_PHONE) == ["Saved note #1: buy milk"], server.output()
    notes, inbox = asyncio.run(_state(sqlite_url))
    assert [n.text for n in notes] == ["buy milk"]
    assert (inbox[0].state, inbox[0].delivery) == ("done", "outbox")
