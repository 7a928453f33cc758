"""Reading Twilio's form posts: raw body -> FormData (repeated keys kept) -> a validated inbound."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from stores.inbox import InboundSms
from stores.phones import InvalidPhoneNumber, parse_address

MAX_FORM_BYTES = 64 * 1024
"""Twilio's SMS forms are a few KB; anything this large is not from Twilio."""


class BadForm(ValueError):
    """The post is not a usable Twilio form; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def read_form(request: Request) -> FormData:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise BadForm("expected an application/x-www-form-urlencoded body", status=415)
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise BadForm(f"form body over {MAX_FORM_BYTES} bytes", status=413)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadForm("form body is not UTF-8") from None
    pairs: list[tuple[str, str | UploadFile]] = list(parse_qsl(text, keep_blank_values=True))
    return FormData(pairs)


def inbound_from_form(form: FormData, *, default_region: str) -> InboundSms:
    message_sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()  # type: ignore[union-attr]
    raw_from = str(form.get("From") or "").strip()
    missing = [
        name for name, value in (("From", raw_from), ("MessageSid", message_sid)) if not value
    ]
    if missing:
        raise BadForm(f"missing required field(s): {', '.join(missing)}")
    if len(message_sid) > 64:
        raise BadForm("MessageSid is too long")
    try:
        sender = parse_address(raw_from, default_region=default_region)
    except InvalidPhoneNumber as error:
        raise BadForm(f"From: {error}") from None
    num_media = str(form.get("NumMedia") or "0").strip()
    return InboundSms(
        message_sid=message_sid,
        from_number=sender.phone,
        channel=sender.channel,
        body=str(form.get("Body") or ""),
        to_number=str(form.get("To") or "")[:32] or None,
        account_sid=str(form.get("AccountSid") or "")[:64] or None,
        num_media=int(num_media) if num_media.isdigit() else 0,
        opt_out_type=str(form.get("OptOutType") or "").strip().upper()[:16] or None,
    )
