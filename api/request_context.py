"""Per-request bookkeeping as plain ASGI middleware: request id, MessageSid, access log, metrics.

- The request id comes from a well-formed `X-Request-ID` header (a proxy's) or is made here; it
  is echoed in the response header and tagged on every log line of the request.
- For Twilio's form posts the MessageSid is read from the (buffered, then replayed) body, so the
  webhook's log lines carry it without the route doing anything.
- One access line per request: method, route template, status, milliseconds. Never the query
  string or the body (they may hold phone numbers or message text).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.forms import MAX_FORM_BYTES
from messaging import metrics
from messaging.logs import log_context

log = logging.getLogger("api.access")

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_MESSAGE_SID = re.compile(r"^[A-Za-z0-9]{2,64}$")
TWILIO_PREFIX = "/twilio/"


def new_request_id() -> str:
    return secrets.token_hex(8)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        offered = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = offered if _REQUEST_ID.match(offered) else new_request_id()
        # Also on the scope, for the last-resort error handler that runs outside this middleware.
        scope.setdefault("state", {})["request_id"] = request_id
        message_sid = None
        if scope["method"] == "POST" and scope["path"].startswith(TWILIO_PREFIX):
            message_sid, receive = await _peek_message_sid(receive)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
            await send(message)

        with log_context(request_id=request_id, message_sid=message_sid):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - started
                route = _route_template(scope)
                metrics.observe_http(route, scope["method"], status, elapsed)
                log.info(
                    "%s %s -> %d in %d ms",
                    scope["method"],
                    route,
                    status,
                    int(elapsed * 1000),
                )


def _route_template(scope: Scope) -> str:
    """The matched route's path template (/admin/api/users/{user_id}), bounded for labels."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    if scope["path"].startswith("/admin/static/"):
        return "/admin/static"
    return "unmatched"


async def _peek_message_sid(receive: Receive) -> tuple[str | None, Receive]:
    """Read the form body (up to the webhook's size limit), find MessageSid, and return a
    `receive` that replays what was read before handing over to the original one."""
    buffered: list[Message] = []
    size = 0
    more = True
    while more and size <= MAX_FORM_BYTES:
        message = await receive()
        buffered.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        more = bool(message.get("more_body", False))
    sid = None
    if not more and size <= MAX_FORM_BYTES:
        body = b"".join(m.get("body", b"") for m in buffered if m["type"] == "http.request")
        try:
            fields = parse_qs(body.decode("utf-8"), max_num_fields=200)
        except (UnicodeDecodeError, ValueError):
            fields = {}
        candidate = (fields.get("MessageSid") or fields.get("SmsSid") or [""])[0]
        sid = candidate if _MESSAGE_SID.match(candidate) else None

    async def replay() -> Message:
        if buffered:
            return buffered.pop(0)
        return await receive()

    return sid, replay
