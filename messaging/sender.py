"""The outbox sender: claims due rows, sends each through the official twilio client, records.

Transient failures (429, 5xx, connection errors) are retried with exponential backoff and jitter
(tenacity) a few times on the spot, then durably (the row's next_attempt_at). Permanent errors
are not retried: 21610 opts the user out, 21211/21614 mark the number invalid, 20003 pauses all
sending until an operator fixes the credentials. Opt-out is checked here, at send time, always.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from twilio.base.exceptions import TwilioRestException

from messaging import metrics
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


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str


class Transport(Protocol):
    async def send(
        self, *, to: str, from_: str | None, body: str, status_callback: str | None
    ) -> Sent: ...

    async def close(self) -> None: ...


class TwilioTransport:
    """Twilio's REST API through the official client (base URL from TWILIO_API_BASE_URL)."""

    def __init__(self, settings: Settings) -> None:
        from twilio.http.async_http_client import AsyncTwilioHttpClient
        from twilio.rest import Client

        assert settings.twilio_account_sid and settings.twilio_auth_token
        self._http = AsyncTwilioHttpClient(timeout=settings.send_timeout_seconds)
        self._client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            http_client=self._http,
        )
        self._client.api.base_url = settings.twilio_api_base_url
        self._messaging_service_sid = settings.twilio_messaging_service_sid
        self._default_from = settings.twilio_from_number

    async def send(
        self, *, to: str, from_: str | None, body: str, status_callback: str | None
    ) -> Sent:
        kwargs: dict[str, str] = {"to": to, "body": body}
        if from_:
            kwargs["from_"] = from_
        elif self._messaging_service_sid:
            kwargs["messaging_service_sid"] = self._messaging_service_sid
        elif self._default_from:
            kwargs["from_"] = self._default_from
        else:
            raise RuntimeError("no sender: set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        if status_callback:
            kwargs["status_callback"] = status_callback
        message = await self._client.messages.create_async(**kwargs)
        return Sent(sid=str(message.sid), status=str(message.status or "queued"))

    async def close(self) -> None:
        await self._http.close()


class LogTransport:
    """No Twilio account configured (local development): log the send instead of making it."""

    async def send(
        self, *, to: str, from_: str | None, body: str, status_callback: str | None
    ) -> Sent:
        log.warning("no Twilio credentials: not sending %d chars to %s", len(body), mask_phone(to))
        return Sent(sid="SMlocal" + secrets.token_hex(13), status="sent")

    async def close(self) -> None:
        return None


def is_transient(error: BaseException) -> bool:
    if isinstance(error, TwilioRestException):
        return error.status == 429 or error.status >= 500
    return isinstance(error, (OSError, TimeoutError, asyncio.TimeoutError)) or (
        type(error).__module__.startswith("aiohttp")
    )


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
                stale_after=timedelta(seconds=self.settings.send_timeout_seconds * 6),
            )
            if not rows:
                return 0
            refused = await self._refuse_opted_out(session, rows)
        slots = asyncio.Semaphore(SEND_CONCURRENCY)

        async def send(row: OutboxItem) -> None:
            async with slots:
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
        callback = (
            f"{self.settings.public_base_url}/twilio/status"
            if self.settings.public_base_url
            else None
        )
        return await self._send_with_retries(to, row.from_address, row.body, callback)

    async def _record_sent(self, session: AsyncSession, row: OutboxItem, sent: Sent) -> None:
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
            retry=retry_if_exception(is_transient),
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
        error_class = type(error).__name__
        async with self.database.session() as session:
            if is_transient(error) and row.attempts < self.settings.send_max_attempts:
                delay = min(600.0, 5.0 * 2**row.attempts) * random.uniform(0.5, 1.0)
                await outbox.mark_retry(
                    session,
                    outbox_id=row.id,
                    at=self.clock.now() + timedelta(seconds=delay),
                    error_class=error_class,
                    error_code=code,
                    clock=self.clock,
                )
                metrics.record_send("retry")
                log.warning(
                    "outbox %s: %s (code %s), retrying in %.0f s", row.id, error_class, code, delay
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
