"""The outbox sender against a fake Twilio REST endpoint, through the real twilio client."""

from datetime import timedelta

from sqlalchemy import select

from messaging.sender import lease_seconds
from stores import flags, outbox, users
from stores.models import OutboxItem, User
from tests.conftest import ANN_PHONE, PUBLIC_BASE_URL
from tests.helpers import add_user
from tests.pipeline.conftest import FROM_NUMBER
from tests.queries import outbox_by_key


async def enqueue(
    sender, key="reply:SM1:1", to=ANN_PHONE, channel="sms", body="hello", from_address=None
):
    async with sender.database.session() as session:
        return await outbox.enqueue(
            session,
            outgoing=outbox.Outgoing(
                idempotency_key=key,
                kind="reply",
                to_number=to,
                channel=channel,
                body=body,
                from_address=from_address,
            ),
            clock=sender.clock,
        )


async def the_row(sender, key="reply:SM1:1") -> OutboxItem:
    async with sender.database.session() as session:
        return await outbox_by_key(session, idempotency_key=key)


async def status_of(sender, phone=ANN_PHONE) -> str:
    async with sender.database.session() as session:
        return (await users.get_user_by_phone(session, phone=phone)).status


async def test_a_message_is_sent_once_with_twilios_sid_and_a_status_callback(sender, fake_twilio):
    fake, _ = fake_twilio
    assert await enqueue(sender)
    assert not await enqueue(sender)  # same idempotency key: not queued twice
    assert await sender.send_due() == 1
    assert await sender.send_due() == 0
    [message] = fake.sent
    assert (message["To"], message["From"], message["Body"]) == (ANN_PHONE, FROM_NUMBER, "hello")
    assert message["StatusCallback"] == PUBLIC_BASE_URL + "/twilio/status"
    row = await the_row(sender)
    assert (row.state, row.twilio_sid, row.attempts) == ("sent", message["Sid"], 1)


async def test_refusals_are_retried_on_the_spot_until_one_message_goes_out(sender, fake_twilio):
    fake, _ = fake_twilio
    fake.fail_next((503, 20503), (503, 20503), (429, 20429))
    await enqueue(sender)
    await sender.send_due()
    assert fake.attempts == 4
    assert len(fake.sent) == 1
    assert (await the_row(sender)).state == "sent"
    assert fake.lookups == 0  # nothing could have gone out: no reconciliation needed


async def test_after_a_500_the_message_is_looked_up_before_it_is_sent_again(sender, fake_twilio):
    fake, _ = fake_twilio
    fake.fail_next((500, 20500))
    await enqueue(sender)
    await sender.send_due()
    row = await the_row(sender)
    assert (row.state, fake.attempts) == ("pending", 1)  # not retried blindly on the spot
    assert row.uncertain_since is not None
    sender.clock.advance(timedelta(minutes=1))
    await sender.send_due()
    assert (fake.lookups, fake.attempts, len(fake.sent)) == (1, 2, 1)
    row = await the_row(sender)
    assert (row.state, row.uncertain_since) == ("sent", None)


async def test_when_retries_run_out_the_row_waits_and_is_sent_later(sender, fake_twilio):
    fake, _ = fake_twilio
    fake.fail_next(*[(503, None)] * 4)
    await enqueue(sender)
    await sender.send_due()
    row = await the_row(sender)
    assert row.state == "pending" and row.next_attempt_at > sender.clock.now()
    assert await sender.send_due() == 0  # not due yet
    sender.clock.advance(timedelta(minutes=15))
    await sender.send_due()
    assert len(fake.sent) == 1
    assert (await the_row(sender)).state == "sent"


async def test_an_unsubscribed_recipient_is_not_retried_and_is_opted_out(sender, fake_twilio):
    fake, _ = fake_twilio
    await add_user(sender.database, sender.clock, ANN_PHONE)
    fake.fail_next((400, 21610))
    await enqueue(sender)
    await sender.send_due()
    assert fake.attempts == 1 and fake.sent == []
    row = await the_row(sender)
    assert (row.state, row.error_code) == ("refused", 21610)
    assert await status_of(sender) == "opted_out"


async def test_an_invalid_number_is_marked_and_not_retried(sender, fake_twilio):
    fake, _ = fake_twilio
    await add_user(sender.database, sender.clock, ANN_PHONE)
    fake.fail_next((400, 21211))
    await enqueue(sender)
    await sender.send_due()
    assert fake.attempts == 1
    assert (await the_row(sender)).state == "failed"
    assert await status_of(sender) == "invalid_number"


async def test_an_authentication_failure_pauses_all_sending(sender, fake_twilio):
    fake, _ = fake_twilio
    fake.fail_next((401, 20003))
    await enqueue(sender, key="a")
    await enqueue(sender, key="b")
    await sender.send_due(limit=1)
    assert await sender.send_due() == 0
    assert fake.attempts == 1
    async with sender.database.session() as session:
        assert "20003" in await flags.get_flag(session, name=flags.SENDING_PAUSED)
        await flags.clear_flag(session, name=flags.SENDING_PAUSED)
    await sender.send_due()
    assert len(fake.sent) == 1  # "b" goes once an operator resumes


async def test_an_opted_out_user_is_never_sent_to_whatever_queued_it(sender, fake_twilio):
    fake, _ = fake_twilio
    user = await add_user(sender.database, sender.clock, ANN_PHONE)
    async with sender.database.session() as session:
        (await session.get(User, user.id)).status = "opted_out"
    await enqueue(sender)
    await sender.send_due()
    assert fake.attempts == 0
    assert (await the_row(sender)).state == "refused"


async def test_whatsapp_replies_go_back_on_whatsapp_from_the_number_texted(sender, fake_twilio):
    fake, _ = fake_twilio
    await enqueue(sender, channel="whatsapp", from_address="whatsapp:+14155238886")
    await sender.send_due()
    [message] = fake.sent
    assert message["To"] == "whatsapp:" + ANN_PHONE
    assert message["From"] == "whatsapp:+14155238886"


async def test_a_sender_that_died_after_claiming_is_taken_over(sender, fake_twilio):
    fake, _ = fake_twilio
    await enqueue(sender)
    async with sender.database.session() as session:
        await outbox.claim_due(session, clock=sender.clock, stale_after=timedelta(minutes=1))
    assert await sender.send_due() == 0  # claimed by the "dead" sender, its lease running
    sender.clock.advance(timedelta(seconds=lease_seconds(sender.settings) + 1))
    assert await sender.send_due() == 1
    assert len(fake.sent) == 1
    assert fake.lookups == 1  # the dead sender may have sent it: looked up first
    async with sender.database.session() as session:
        rows = (await session.execute(select(OutboxItem))).scalars().all()
    assert [r.attempts for r in rows] == [2]


async def test_a_send_twilio_accepted_but_answered_late_goes_out_once(sender, fake_twilio):
    fake, _ = fake_twilio
    sender.transport._timeout = 0.5  # SEND_TIMEOUT_SECONDS, enforced by us
    fake.answer_late(3.0)  # accepted at once, answered after the timeout
    await enqueue(sender)
    await sender.send_due()
    row = await the_row(sender)
    assert row.state == "pending" and row.uncertain_since is not None
    assert len(fake.sent) == 1
    sender.clock.advance(timedelta(minutes=1))
    await sender.send_due()
    row = await the_row(sender)
    assert (row.state, row.twilio_sid) == ("sent", fake.sent[0]["Sid"])
    assert (fake.attempts, fake.lookups, len(fake.sent)) == (1, 1, 1)


async def test_a_four_hour_outage_is_ridden_out_and_the_reply_sent_once(sender, fake_twilio):
    fake, _ = fake_twilio
    fake.down = True
    await enqueue(sender)
    outage_ends = sender.clock.now() + timedelta(hours=4)
    tries = 0
    while sender.clock.now() < outage_ends:
        await sender.send_due()
        row = await the_row(sender)
        assert row.state == "pending"  # never given up on during the outage
        sender.clock.advance(max(row.next_attempt_at - sender.clock.now(), timedelta(0)))
        tries += 1
    fake.down = False
    await sender.send_due()
    assert len(fake.sent) == 1
    assert (await the_row(sender)).state == "sent"
    assert tries < 60  # it backed off rather than hammering Twilio


async def test_a_send_failing_past_the_retry_horizon_is_failed_and_counted(sender, fake_twilio):
    from messaging.metrics import REGISTRY

    fake, _ = fake_twilio
    fake.down = True
    await enqueue(sender)
    sender.clock.advance(timedelta(hours=sender.settings.send_retry_horizon_hours, seconds=1))
    await sender.send_due()
    assert (await the_row(sender)).state == "failed"
    async with sender.database.session() as session:
        from messaging.metrics import refresh_database_gauges

        await refresh_database_gauges(session)
    assert REGISTRY.get_sample_value("sms_outbox_failed") == 1


async def test_sends_are_counted_by_outcome_for_metrics(sender, fake_twilio):
    from messaging.metrics import REGISTRY

    def count(status):
        return REGISTRY.get_sample_value("sms_outbound_sends_total", {"status": status}) or 0

    fake, _ = fake_twilio
    before_sent, before_retry = count("sent"), count("retry")
    fake.fail_next(*[(503, None)] * 4)
    await enqueue(sender, key="x")
    await sender.send_due()
    sender.clock.advance(timedelta(minutes=15))
    await sender.send_due()
    assert count("retry") == before_retry + 1
    assert count("sent") == before_sent + 1


async def test_a_number_that_opted_out_without_an_account_is_never_sent_to(sender, fake_twilio):
    from stores import consent

    fake, _ = fake_twilio
    async with sender.database.session() as session:
        await consent.record(
            session,
            phone=ANN_PHONE,
            kind="opt_out",
            keyword="STOP",
            source="keyword",
            message_sid="SM1",
            clock=sender.clock,
        )
    await enqueue(sender)
    await sender.send_due()
    assert fake.attempts == 0
    assert (await the_row(sender)).state == "refused"


async def test_a_status_callback_that_beats_the_sid_to_the_database_is_still_recorded(
    sender, fake_twilio
):
    import asyncio

    from messaging.sender import apply_status_callback

    await enqueue(sender)
    async with sender.database.session() as session:
        [row] = await outbox.claim_due(
            session, clock=sender.clock, stale_after=timedelta(minutes=1)
        )

    async def record_sid_late():
        await asyncio.sleep(0.3)
        async with sender.database.session() as session:
            await outbox.mark_sent(
                session, outbox_id=row.id, twilio_sid="SMearly", status="queued", clock=sender.clock
            )

    recorded, _ = await asyncio.gather(
        apply_status_callback(
            sender.database,
            twilio_sid="SMearly",
            status="delivered",
            error_code=None,
            clock=sender.clock,
        ),
        record_sid_late(),
    )
    assert recorded
    assert (await the_row(sender)).state == "delivered"
    unknown = await apply_status_callback(
        sender.database,
        twilio_sid="SMnever",
        status="sent",
        error_code=None,
        clock=sender.clock,
        wait_for_sid_seconds=0.2,
    )
    assert not unknown
