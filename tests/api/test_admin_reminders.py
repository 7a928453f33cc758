"""The admin's user page lists the user's upcoming reminders (the reminders feature)."""

from datetime import UTC, datetime

from stores import reminders
from tests.api.test_admin_pages import admin, sign_in  # noqa: F401  (fixture)
from tests.conftest import ANN_PHONE
from tests.helpers import add_user


async def test_the_user_page_lists_upcoming_reminders_escaped(admin):  # noqa: F811
    clock = admin.app.state.clock
    ann = await add_user(admin.database, clock, ANN_PHONE, name="Ann")
    async with admin.database.session() as session:
        await reminders.add_reminder(
            session, user_id=ann.id, channel="sms", text="water <b>plants</b>", timezone="UTC",
            first=datetime(2030, 1, 7, 9, tzinfo=UTC), rrule="FREQ=WEEKLY;BYDAY=MO",
            start_local=datetime(2030, 1, 7, 9), clock=clock,
        )  # fmt: skip
    await sign_in(admin.client)
    page = (await admin.client.get(f"/admin/users/{ann.id}")).text
    assert "water &lt;b&gt;plants&lt;/b&gt;" in page
    assert "every Monday" in page and "2030-01-07 09:00 UTC" in page
