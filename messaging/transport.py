"""How a message reaches Twilio's REST API, and what a failure means for a retry.

Every request is bounded by SEND_TIMEOUT_SECONDS here (twilio's AsyncTwilioHttpClient passes no
timeout to aiohttp). A failure is one of three kinds:
- definitely not sent (429, a refused connection): safe to send again;
- outcome unknown (our timeout, a connection lost after the request went out, a 500/502/504):
  Twilio may
  have accepted it, so before any retry the sender looks for it in Twilio's Messages list
  (`find_sent`) and resends only when it is not there;
- permanent (4xx with a code): never retried.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from twilio.base.exceptions import TwilioRestException

from stores.phones import mask_phone
from stores.settings import Settings

log = logging.getLogger(__name__)

RECONCILE_SLACK = timedelta(minutes=5)
"""Clock skew allowed between us and Twilio when matching a message to an attempt."""


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str


class SendOutcomeUnknown(Exception):
    """The request may have reached Twilio: reconcile before sending again."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"outcome unknown after {type(cause).__name__}")
        self.cause = cause


class Transport(Protocol):
    async def send(
        self, *, to: str, from_: str | None, body: str, status_callback: str | None
    ) -> Sent: ...

    async def find_sent(self, *, to: str, body: str, since: datetime) -> list[Sent]:
        """Messages Twilio has from us to `to` with `body`, created since `since` (newest
        first): what an attempt whose outcome is unknown may have sent."""
        ...

    async def close(self) -> None: ...


def _connection_never_made(error: BaseException) -> bool:
    """Errors raised before a byte of the request left (refused, DNS): nothing was sent."""
    try:
        from aiohttp import ClientConnectorError
    except ImportError:  # pragma: no cover - aiohttp comes with twilio's async client
        return isinstance(error, ConnectionRefusedError)
    return isinstance(error, (ClientConnectorError, ConnectionRefusedError))


def is_transient(error: BaseException) -> bool:
    """Worth trying again later (after reconciling when the outcome is unknown)."""
    if isinstance(error, SendOutcomeUnknown):
        return True
    if isinstance(error, TwilioRestException):
        return error.status == 429 or error.status >= 500
    return isinstance(error, (OSError, TimeoutError, asyncio.TimeoutError)) or (
        type(error).__module__.startswith("aiohttp")
    )


SURELY_REFUSED_STATUSES = {429, 503}
"""Too many requests, service unavailable: Twilio turned the request away. Any other 5xx (or
a proxy's 502/504) may come after the message was accepted."""


def outcome_unknown(error: BaseException) -> bool:
    """True when Twilio may have accepted the request despite the error."""
    if isinstance(error, SendOutcomeUnknown):
        return True
    if isinstance(error, TwilioRestException):
        return error.status >= 500 and error.status not in SURELY_REFUSED_STATUSES
    return is_transient(error) and not _connection_never_made(error)


class TwilioTransport:
    """Twilio's REST API through the official client (base URL from TWILIO_API_BASE_URL)."""

    def __init__(self, settings: Settings) -> None:
        from twilio.http.async_http_client import AsyncTwilioHttpClient
        from twilio.rest import Client

        assert settings.twilio_account_sid and settings.twilio_auth_token
        self._timeout = settings.send_timeout_seconds
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
        try:
            async with asyncio.timeout(self._timeout):
                message = await self._client.messages.create_async(**kwargs)
        except TwilioRestException:
            raise
        except Exception as error:
            if outcome_unknown(error):
                raise SendOutcomeUnknown(error) from error
            raise
        return Sent(sid=str(message.sid), status=str(message.status or "queued"))

    async def find_sent(self, *, to: str, body: str, since: datetime) -> list[Sent]:
        earliest = since - RECONCILE_SLACK
        async with asyncio.timeout(self._timeout):
            found: list[Any] = await self._client.messages.list_async(
                to=to,
                # Twilio filters DateSent by (UTC) day: ">= the day of the attempt".
                date_sent_after=earliest.strftime("%Y-%m-%d"),
                limit=50,
            )
        return [
            Sent(sid=str(message.sid), status=str(message.status or "queued"))
            for message in found
            if message.body == body
            and str(message.direction or "").startswith("outbound-api")
            and (message.date_created is None or message.date_created >= earliest)
        ]

    async def close(self) -> None:
        await self._http.close()


NOT_SENT = Sent(sid="", status="not_sent")
"""What LogTransport answers: recorded as the outbox state not_sent, with no SID."""


class LogTransport:
    """No Twilio account configured (local development): log the send instead of making it."""

    async def send(
        self, *, to: str, from_: str | None, body: str, status_callback: str | None
    ) -> Sent:
        log.warning("no Twilio credentials: not sending %d chars to %s", len(body), mask_phone(to))
        return NOT_SENT

    async def find_sent(self, *, to: str, body: str, since: datetime) -> list[Sent]:
        return []

    async def close(self) -> None:
        return None
