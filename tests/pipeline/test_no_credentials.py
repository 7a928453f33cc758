"""Without Twilio credentials nothing leaves the machine, and nothing pretends it did: each row
gets its own state, "not sent: no Twilio credentials", no SID, and is never counted as sent."""

from sqlalchemy import select

from messaging.metrics import REGISTRY
from messaging.sender import OutboxSender
from messaging.transport import LogTransport
from stores import messages, outbox, users
from stores.db import Database
from stores.models import Message, OutboxItem
from tests.conftest import ANN_PHONE, make_settings
from tests.helpers import add_user


def sends(status: str) -> float:
    return REGISTRY.get_sample_value("sms_outbound_sends_total", {"status": status}) or 0


async def test_without_credentials_a_send_is_recorded_as_not_sent(database_url, clock):
    database = Database(database_url)
    settings = make_settings(database_url)  # no TWILIO_ACCOUNT_SID
    sender = OutboxSender(
        database=database, transport=LogTransport(), settings=settings, clock=clock
    )
    ann = await add_user(database, clock, ANN_PHONE)
    async with database.session() as session:
        conversation = await users.get_or_create_conversation(
            session, user_id=ann.id, channel="sms", clock=clock
        )
        logged = await messages.record_message(
            session, conversation_id=conversation.id, direction="outbound", body="hello",
            status="queued", clock=clock,
        )  # fmt: skip
        await outbox.enqueue(
            session,
            outgoing=outbox.Outgoing(
                idempotency_key="reply:SM1:1",
                kind="reply",
                to_number=ANN_PHONE,
                channel="sms",
                body="hello",
                user_id=ann.id,
                conversation_id=conversation.id,
                message_id=logged.id,
            ),
            clock=clock,
        )
    sent_before, not_sent_before = sends("sent"), sends("not_sent")

    await sender.send_due()

    async with database.session() as session:
        [row] = (await session.execute(select(OutboxItem))).scalars().all()
        message = await session.get(Message, logged.id)
    assert (row.state, row.twilio_sid, row.twilio_status) == ("not_sent", None, None)
    assert outbox.STATE_TEXT[row.state] == "not sent: no Twilio credentials"
    assert (message.status, message.twilio_sid) == ("not_sent", None)
    assert sends("sent") == sent_before  # never counted as sent
    assert sends("not_sent") == not_sent_before + 1
    assert await sender.send_due() == 0  # final: not tried again
    await database.dispose()
