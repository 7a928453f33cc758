"""A fake of Twilio's Messages REST endpoint that records every create request.

Responses are scripted: queue (status, error code) pairs with `fail_next`; anything not
scripted succeeds with 201 and a fresh SM... SID, as Twilio does. `answer_late` makes the next
creates accept the message at once but answer only after a delay; `down` answers every request
with 503 (an outage). GET Messages.json lists what was accepted, newest first, filtered by `To`
and `DateSent>` (a UTC day, as Twilio does), for the sender's reconciliation.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import BackgroundServer

ACCOUNT_SID = "AC" + "a1" * 16


@dataclass
class FakeTwilio:
    sent: list[dict[str, str]] = field(default_factory=list)
    attempts: int = 0
    lookups: int = 0
    down: bool = False
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    """Twilio's clock (give it the test's ManualClock.now to move it with the test)."""
    _script: list[tuple[int, int | None]] = field(default_factory=list)
    _late: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_late(self, *seconds: float) -> None:
        """The next creates are accepted (recorded) at once, answered after `seconds`."""
        with self._lock:
            self._late.extend(seconds)

    def fail_next(self, *responses: tuple[int, int | None]) -> None:
        with self._lock:
            self._script.extend(responses)

    def bodies_to(self, number: str) -> list[str]:
        return [m["Body"] for m in self.sent if m["To"].endswith(number)]

    async def _create(self, request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        with self._lock:
            self.attempts += 1
            scripted = (503, None) if self.down else self._script.pop(0) if self._script else None
            late = self._late.pop(0) if self._late and scripted is None else 0.0
            if scripted is None:
                sid = "SM" + secrets.token_hex(16)
                stamp = format_datetime(self.now().astimezone(UTC), usegmt=True)
                self.sent.append({**form, "Sid": sid, "DateCreated": stamp})
        if late:
            await asyncio.sleep(late)
        if scripted is not None:
            status, code = scripted
            return JSONResponse(
                {
                    "code": code,
                    "message": f"scripted failure {code}",
                    "status": status,
                    "more_info": "https://www.twilio.com/docs/errors",
                },
                status_code=status,
            )
        return JSONResponse(_message_resource(sid, form, request, stamp), status_code=201)

    async def _list(self, request: Request) -> JSONResponse:
        with self._lock:
            self.lookups += 1
            if self.down:
                return JSONResponse({"code": None, "message": "down", "status": 503}, 503)
            sent = list(self.sent)
        to = request.query_params.get("To")
        since = request.query_params.get("DateSent>")
        first_day = date.fromisoformat(since[:10]) if since else None
        found = [
            _message_resource(m["Sid"], m, request, m["DateCreated"])
            for m in reversed(sent)
            if (to is None or m["To"] == to)
            and (first_day is None or _day(m["DateCreated"]) >= first_day)
        ]
        return JSONResponse(
            {
                "messages": found[:50],
                "page": 0,
                "page_size": 50,
                "first_page_uri": request.url.path,
                "next_page_uri": None,
                "previous_page_uri": None,
                "uri": request.url.path,
                "start": 0,
                "end": len(found[:50]),
            }
        )

    def app(self) -> Starlette:
        path = "/2010-04-01/Accounts/{account}/Messages.json"
        return Starlette(
            routes=[
                Route(path, self._create, methods=["POST"]),
                Route(path, self._list, methods=["GET"]),
            ]
        )

    def serve(self) -> BackgroundServer:
        return BackgroundServer(self.app())


def _day(rfc2822: str) -> date:
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(rfc2822).astimezone(UTC).date()


def _message_resource(
    sid: str, form: dict[str, str], request: Request, created: str
) -> dict[str, Any]:
    account = request.path_params["account"]
    return {
        "sid": sid,
        "account_sid": account,
        "to": form.get("To"),
        "from": form.get("From"),
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "body": form.get("Body"),
        "status": "queued",
        "num_segments": "1",
        "direction": "outbound-api",
        "api_version": "2010-04-01",
        "date_created": created,
        "date_sent": created,
        "date_updated": None,
        "error_code": None,
        "error_message": None,
        "price": None,
        "price_unit": "USD",
        "num_media": "0",
        "subresource_uris": {},
        "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
    }
