"""The outbox sender: claims due rows, sends each through the official twilio client, records.

Failures that surely sent nothing (429, a refused connection) are retried with exponential
backoff and jitter (tenacity) a few times on the spot. Any transient failure is then retried
durably (the row's next_attempt_at), backing off for up to SEND_RETRY_HORIZON_HOURS before the
row is failed for good. A send whose outcome is unknown (timeout, lost connection, 5xx) is
reconciled against Twilio's Messages list before it is ever sent again, and a row being sent is
leased for longer than its attempts can take, so no other sender reclaims it meanwhile. Permanent
errors are not retried: 21610 opts the user out, 21211/21614 mark the number invalid, 20003 pauses
all sending until an operator fixes the credentials. Opt-out is checked here, at send time.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from twilio.base.exceptions import TwilioRestException

from messaging import metrics
from messaging.replies import sendable
from messaging.transport import (
    NOT_SENT,
    SendOutcomeUnknown,
    Sent,
    Transport,
    is_transient,
    outcome_unknown,
)
from stores import consent, flags, messages, outbox, users
from stores.clock import Clock
from stores.db import Database
from stores.models import OutboxItem
from stores.phones import mask_phone
from stores.redact import described
from stores.settings import Settings

log = logging.getLogger(__name__)

OPTED_OUT_CODES = {21610}
INVALID_NUMBER_CODES = {21211, 21614}
AUTH_FAILURE_CODES = {20003}
SEND_CONCURRENCY = 8
RETRYABLE_DELIVERY_CODES = {30001, 30003, 30008, 30009}
"""Delivery failures (status callbacks) worth exactly one more try: queue overflow,
unreachable handset, unknown carrier error, missing segment."""


MAX_BACKOFF_SECONDS = 900.0


def lease_seconds(settings: Settings) -> float:
    """How long a claimed row is ours: longer than everything one claim can do with it (the
    reconciliation lookup and every inline attempt, each bounded by the send timeout, and the
    waits between them), so no other sender takes it while an attempt can still complete."""
    attempts = settings.send_inline_attempts
    return (attempts + 1) * settings.send_timeout_seconds + 8.0 * attempts + 60.0


class OutboxSender:
    def __init__(
        self, *, database: Database, transport: Transport, settings: Settings, clock: Clock
    ) -> None:
        self.database = database
        self.transport = transport
        self.settings = settings
        self.clock = clock
        self._paused_logged = False

    async def run_forever(self) -> None:
        while True:
            try:
                sent = await self.send_due()
            except Exception as error:
                log.error(
                    "outbox sender: %s; retrying",
                    described(error),
                )
                sent = 0
            if not sent:
                await asyncio.sleep(self.settings.worker_poll_seconds)

    async def send_due(self, limit: int = 40) -> int:
        """Send what is due now; returns how many rows were handled.

        The claim and the consent check take one transaction for the whole batch; the sends
        run side by side (each waits on Twilio's HTTP round trip) and each is recorded as soon
        as Twilio answers, so a quick status callback finds its SID.
        """
        async with self.database.session() as session:
            paused = await flags.get_flag(session, name=flags.SENDING_PAUSED)
            if paused:
                if not self._paused_logged:
                    log.critical("sending is paused: %s", paused)
                    self._paused_logged = True
                return 0
            self._paused_logged = False
            rows = await outbox.claim_due(
                session,
                clock=self.clock,
                limit=limit,
                stale_after=timedelta(seconds=lease_seconds(self.settings)),
            )
            if not rows:
                return 0
            refused = await self._refuse_opted_out(session, rows)
        slots = asyncio.Semaphore(SEND_CONCURRENCY)

        async def send(row: OutboxItem) -> None:
            async with slots:
                async with self.database.session() as session:
                    # The lease runs from now, not from the batch's claim: rows wait for a slot.
                    if not await outbox.renew_lease(session, row=row, clock=self.clock):
                        return  # another sender took it over meanwhile
                try:
                    receipt = await self._send_row(row)
                except Exception as error:  # every failure is classified and recorded
                    await self._record_failure(row, error)
                    return
                async with self.database.session() as session:
                    await self._record_sent(session, row, receipt)

        await asyncio.gather(*(send(row) for row in rows if row.id not in refused))
        return len(rows)

    async def _refuse_opted_out(self, session: AsyncSession, rows: list[OutboxItem]) -> set[int]:
        """Mark rows to people who opted out (or are blocked, or whose number is invalid) as
        refused, whatever queued them; returns their ids."""
        statuses = await users.statuses_by_phone(session, phones={r.to_number for r in rows})
        refused: set[int] = set()
        for row in rows:
            status = statuses.get(row.to_number)
            if status is None and await consent.is_opted_out(session, phone=row.to_number):
                status = "number_opted_out"
            if status is None or status == "active":
                continue
            reason = status if status == "number_opted_out" else f"user_{status}"
            await outbox.mark_final(
                session,
                outbox_id=row.id,
                state=outbox.REFUSED,
                error_class=reason,
                clock=self.clock,
            )
            metrics.record_send("refused")
            log.info(
                "refused outbox %s: recipient %s is %s", row.id, mask_phone(row.to_number), status
            )
            refused.add(row.id)
        return refused

    async def _send_row(self, row: OutboxItem) -> Sent:
        to = f"whatsapp:{row.to_number}" if row.channel == "whatsapp" else row.to_number
        body = sendable(row.body)
        if row.uncertain_since is not None:
            # An earlier attempt may have reached Twilio: look before sending again.
            already = await self._reconcile(row, to, body)
            if already is not None:
                metrics.record_send("reconciled")
                return already
        callback = (
            f"{self.settings.public_base_url}/twilio/status"
            if self.settings.public_base_url
            else None
        )
        return await self._send_with_retries(to, row.from_address, body, callback)

    async def _reconcile(self, row: OutboxItem, to: str, body: str) -> Sent | None:
        assert row.uncertain_since is not None
        found = await self.transport.find_sent(to=to, body=body, since=row.uncertain_since)
        if not found:
            log.info("outbox %s: the unsure attempt never reached Twilio; sending", row.id)
            return None
        async with self.database.session() as session:
            for candidate in found:
                known = await outbox.get_by_twilio_sid(session, twilio_sid=candidate.sid)
                if known is None or known.id == row.id:
                    log.info("outbox %s: Twilio already has it; not resending", row.id)
                    return candidate
        return None

    async def _record_sent(self, session: AsyncSession, row: OutboxItem, sent: Sent) -> None:
        if sent is NOT_SENT:  # its own final state: never shown or counted as sent
            metrics.record_send(outbox.NOT_SENT)
            await outbox.mark_final(
                session, outbox_id=row.id, state=outbox.NOT_SENT, clock=self.clock
            )
            if row.message_id is not None:
                await messages.update_delivery(
                    session, message_id=row.message_id, status=outbox.NOT_SENT, clock=self.clock
                )
            return
        metrics.record_send("sent")
        await outbox.mark_sent(
            session,
            outbox_id=row.id,
            twilio_sid=sent.sid,
            status=sent.status,
            clock=self.clock,
        )
        if row.message_id is not None:
            await messages.update_delivery(
                session,
                message_id=row.message_id,
                status=sent.status,
                twilio_sid=sent.sid,
                clock=self.clock,
            )

    async def _send_with_retries(
        self, to: str, from_: str | None, body: str, callback: str | None
    ) -> Sent:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.send_inline_attempts),
            wait=wait_exponential_jitter(
                multiplier=self.settings.send_retry_initial_seconds,
                max=8,
                jitter=self.settings.send_retry_initial_seconds,
            ),
            # Only what surely sent nothing is retried on the spot; an unsure attempt is
            # reconciled on the next claim instead.
            retry=retry_if_exception(lambda e: is_transient(e) and not outcome_unknown(e)),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self.transport.send(
                    to=to, from_=from_, body=body, status_callback=callback
                )
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def _record_failure(self, row: OutboxItem, error: BaseException) -> None:
        code = getattr(error, "code", None) if isinstance(error, TwilioRestException) else None
        error_class = type(error.cause if isinstance(error, SendOutcomeUnknown) else error).__name__
        horizon = row.created_at + timedelta(hours=self.settings.send_retry_horizon_hours)
        async with self.database.session() as session:
            now = self.clock.now()
            if is_transient(error) and now < horizon:
                delay = min(MAX_BACKOFF_SECONDS, 5.0 * 2 ** min(row.attempts, 20))
                at = min(now + timedelta(seconds=delay * random.uniform(0.5, 1.0)), horizon)
                unsure = outcome_unknown(error)
                await outbox.mark_retry(
                    session,
                    outbox_id=row.id,
                    at=at,
                    error_class=error_class,
                    error_code=code,
                    # Once unsure, unsure until a lookup settles it.
                    uncertain_since=row.uncertain_since or (row.claimed_at if unsure else None),
                    clock=self.clock,
                )
                metrics.record_send("retry")
                log.warning(
                    "outbox %s: %s (code %s), retrying in %.0f s%s",
                    row.id,
                    error_class,
                    code,
                    (at - now).total_seconds(),
                    " after reconciling" if unsure else "",
                )
                return
            state = outbox.REFUSED if code in OPTED_OUT_CODES else outbox.FAILED
            metrics.record_send(state)
            await outbox.mark_final(
                session,
                outbox_id=row.id,
                state=state,
                error_class=error_class,
                error_code=code,
                clock=self.clock,
            )
            if code in OPTED_OUT_CODES:
                metrics.record_opt_out("twilio_21610")
                await users.set_status(
                    session, phone=row.to_number, status="opted_out", clock=self.clock
                )
            elif code in INVALID_NUMBER_CODES:
                await users.set_status(
                    session, phone=row.to_number, status="invalid_number", clock=self.clock
                )
            elif code in AUTH_FAILURE_CODES:
                await flags.set_flag(
                    session,
                    name=flags.SENDING_PAUSED,
                    clock=self.clock,
                    value="Twilio rejected our credentials (20003): fix TWILIO_ACCOUNT_SID/"
                    "TWILIO_AUTH_TOKEN, then `sms-assistant sending resume`",
                )
                log.critical("Twilio authentication failed (20003): all sending paused")
        log.error(
            "outbox %s failed permanently: %s (code %s) to %s",
            row.id,
            error_class,
            code,
            mask_phone(row.to_number),
        )


async def apply_status_callback(
    database: Database,
    *,
    twilio_sid: str,
    status: str,
    error_code: int | None,
    clock: Clock,
    wait_for_sid_seconds: float = 2.0,
) -> bool:
    """Record Twilio's delivery report. Returns False for a SID we never sent.

    Twilio can call back before the sender has written the SID it just got (the two race by
    milliseconds), and it does not retry a callback; so an unknown SID is looked for again for
    a moment before it is given up on.
    """
    loop = asyncio.get_running_loop()
    give_up = loop.time() + wait_for_sid_seconds
    while True:
        async with database.session() as session:
            known = await outbox.get_by_twilio_sid(session, twilio_sid=twilio_sid)
        if known is not None or loop.time() >= give_up:
            break
        await asyncio.sleep(0.1)
    if known is None:
        return False
    async with database.session() as session:
        row = await outbox.get_by_twilio_sid(session, twilio_sid=twilio_sid)
        if row is None:
            return False
        row.twilio_status = status
        row.updated_at = clock.now()
        if status == "delivered":
            row.state = outbox.DELIVERED
        elif status in ("undelivered", "failed"):
            row.error_code = error_code
            if error_code in RETRYABLE_DELIVERY_CODES and row.delivery_retries == 0:
                row.delivery_retries = 1
                row.state = outbox.PENDING
                row.twilio_sid = None
                row.next_attempt_at = clock.now()
                log.warning("outbox %s undelivered (%s): one retry", row.id, error_code)
            else:
                row.state = outbox.FAILED
                log.error(
                    "outbox %s %s (code %s) to %s",
                    row.id,
                    status,
                    error_code,
                    mask_phone(row.to_number),
                )
        if row.message_id is not None:
            await messages.update_delivery(
                session, message_id=row.message_id, status=status, clock=clock
            )
    return True
