"""What the admin shows is what happened: decrypted texts, names, times in each person's zone,
"not sent" when there are no Twilio credentials, lists in pages, reminders and memories per person.
"""

from datetime import UTC, datetime, timedelta

import pytest

from stores import interactions, outbox, reminders, users
from tests.api.conftest import start_app
from tests.api.test_admin_pages import sign_in
from tests.conftest import ANN_PHONE, make_settings
from tests.helpers import add_user
from tests.pipeline.test_webhook_pipeline import eventually

ADMIN_TOKEN = "admin-token-for-tests-0123456789"
BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
async def admin(sqlite_url, clock):
    """No TWILIO_ACCOUNT_SID: the embedded sender logs instead of sending."""
    settings = make_settings(sqlite_url, admin_token=ADMIN_TOKEN, worker_poll_seconds=0.05)
    async for harness in start_app(settings, clock):
        yield harness


async def queue_text(admin, user, body, key="reminder:1:x"):
    async with admin.database.session() as session:
        await outbox.enqueue(
            session,
            outgoing=outbox.Outgoing(
                idempotency_key=key,
                kind="reminder",
                to_number=user.phone,
                channel="sms",
                body=body,
                user_id=user.id,
            ),
            clock=admin.app.state.clock,
        )


async def test_the_outbox_shows_plain_text_names_and_not_sent_without_credentials(admin):
    clock = admin.app.state.clock
    ann = await add_user(admin.database, clock, ANN_PHONE, name="Ann", timezone="Asia/Tokyo")
    await queue_text(admin, ann, "Reminder: gate code 4412")

    async def handled():
        rows = (await admin.client.get("/admin/api/outbox", headers=BEARER)).json()
        return rows and rows[0]["state"] not in ("pending", "sending")  # settled

    await eventually(handled)
    response = await admin.client.get("/admin/api/outbox", headers=BEARER)
    assert "gAAAA" not in response.text  # no Fernet token anywhere
    [row] = response.json()
    assert row["body"] == "Reminder: gate code 4412"
    assert (row["user_name"], row["timezone"]) == ("Ann", "Asia/Tokyo")
    assert (row["state"], row["state_text"]) == ("not_sent", "not sent: no Twilio credentials")
    assert row["twilio_sid"] is None

    await sign_in(admin.client)
    page = (await admin.client.get("/admin/conversations")).text
    assert "not sent: no Twilio credentials" in page and "gAAAA" not in page
    assert ">Ann</a>" in page
    queued = datetime.fromisoformat(row["created_at"]).astimezone(UTC)
    assert f"{queued + timedelta(hours=9):%Y-%m-%d %H:%M} JST" in page  # Tokyo time


async def test_runs_show_names_and_come_in_pages(admin):
    clock = admin.app.state.clock
    ann = await add_user(admin.database, clock, ANN_PHONE, name="Ann")
    async with admin.database.session() as session:
        for n in range(55):
            await interactions.record_interaction(
                session, user_id=ann.id, conversation_id=None, message_sid=f"SM{n}",
                planner="offline", nodes=["plan"], tools=[], steps=1, latency_ms=n,
                outcome="ok", clock=clock,
            )  # fmt: skip
    await sign_in(admin.client)
    first = (await admin.client.get("/admin/runs")).text
    assert first.count(">Ann</a>") == 50 and "#1<" not in first
    assert 'rel="next" href="?page=2"' in first
    second = (await admin.client.get("/admin/runs", params={"page": 2})).text
    assert second.count(">Ann</a>") == 5 and 'rel="next"' not in second
    mine = (await admin.client.get("/admin/runs", params={"user_id": ann.id})).text
    assert f'href="?user_id={ann.id}&amp;page=2"' in mine
    api = await admin.client.get("/admin/api/runs", params={"offset": 50}, headers=BEARER)
    assert [r["latency_ms"] for r in api.json()] == [4, 3, 2, 1, 0]
    assert api.json()[0]["user_name"] == "Ann"


async def test_the_data_page_lists_each_persons_reminders_in_their_time(admin):
    clock = admin.app.state.clock
    ann = await add_user(admin.database, clock, ANN_PHONE, name="Ann", timezone="Europe/Paris")
    await add_user(admin.database, clock, "+14155550999", name="Nobody")
    async with admin.database.session() as session:
        for hour in (9, 10):
            await reminders.add_reminder(
                session, user_id=ann.id, channel="sms", text=f"thing at {hour}",
                timezone="Europe/Paris", first=datetime(2030, 1, 7, hour, tzinfo=UTC), clock=clock,
            )  # fmt: skip
        assert await users.get_user(session, user_id=ann.id)
    await sign_in(admin.client)
    page = (await admin.client.get("/admin/data")).text
    assert f'data-user="{ann.id}"' in page and "Nobody" not in page
    assert "2030-01-07 10:00 CET" in page  # 09:00 UTC, shown in Paris time
    user_page = (await admin.client.get(f"/admin/users/{ann.id}")).text
    assert "thing at 9" in user_page and "2030-01-07 11:00 CET" in user_page


async def test_the_simulator_thread_shows_later_texts_decrypted(admin):
    clock = admin.app.state.clock
    ann = await add_user(admin.database, clock, ANN_PHONE, name="Ann")
    await queue_text(admin, ann, "Reminder: stretch")

    async def thread():
        response = await admin.client.get(
            "/admin/api/simulator/thread", params={"phone": ANN_PHONE}, headers=BEARER
        )
        assert "gAAAA" not in response.text
        return response.json()["items"]

    async def handled():
        return any(i["status"] != "pending" for i in await thread())

    await eventually(handled)
    [item] = await thread()
    assert item["body"] == "Reminder: stretch"
    assert item["status"] == "not sent: no Twilio credentials"
