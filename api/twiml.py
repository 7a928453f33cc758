"""TwiML responses, built with the official twilio library (it escapes <, & and friends)."""

from __future__ import annotations

from fastapi import Response
from twilio.twiml.messaging_response import MessagingResponse

from messaging.replies import MAX_SMS_CHARS, sendable

TWIML_MEDIA_TYPE = "application/xml"


def clip(text: str, limit: int = MAX_SMS_CHARS) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis when too long."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def render(reply: str | None, *, status_code: int = 200) -> Response:
    """`<Response><Message>reply</Message></Response>`, or an empty `<Response/>` for None."""
    response = MessagingResponse()
    reply = sendable(reply or "")
    if reply:
        response.message(clip(reply))
    return Response(content=str(response), media_type=TWIML_MEDIA_TYPE, status_code=status_code)
