"""A fake of Twilio's Messages REST endpoint that records every create request.

Responses are scripted: queue (status, error code) pairs with `fail_next`; anything not
scripted succeeds with 201 and a fresh SM... SID, as Twilio does.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
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
    _script: list[tuple[int, int | None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, *responses: tuple[int, int | None]) -> None:
        with self._lock:
            self._script.extend(responses)

    def bodies_to(self, number: str) -> list[str]:
        return [m["Body"] for m in self.sent if m["To"].endswith(number)]

    async def _create(self, request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        with self._lock:
            self.attempts += 1
            scripted = self._script.pop(0) if self._script else None
            if scripted is None:
                sid = "SM" + secrets.token_hex(16)
                self.sent.append({**form, "Sid": sid})
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
        return JSONResponse(_message_resource(sid, form, request), status_code=201)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(
                    "/2010-04-01/Accounts/{account}/Messages.json", self._create, methods=["POST"]
                )
            ]
        )

    def serve(self) -> BackgroundServer:
        return BackgroundServer(self.app())


def _message_resource(sid: str, form: dict[str, str], request: Request) -> dict[str, Any]:
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
        "date_created": None,
        "date_sent": None,
        "date_updated": None,
        "error_code": None,
        "error_message": None,
        "price": None,
        "price_unit": "USD",
        "num_media": "0",
        "subresource_uris": {},
        "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
    }
