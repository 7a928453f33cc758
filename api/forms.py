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


MAX_NUM_MEDIA = 10
"""Twilio attaches at most 10 media to a message."""


async def read_form(request: Request) -> FormData:
    """The form, read as it streams in and refused as soon as it is too large (before the
    signature can be checked, so an unsigned flood costs at most MAX_FORM_BYTES of memory)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise BadForm("expected an application/x-www-form-urlencoded body", status=415)
    too_large = BadForm(f"form body over {MAX_FORM_BYTES} bytes", status=413)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise too_large
        chunks.append(chunk)
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise BadForm("form body is not UTF-8") from None
    pairs = parse_qsl(text, keep_blank_values=True)
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        raise BadForm("form fields must not contain NUL bytes")  # Postgres refuses them
    fields: list[tuple[str, str | UploadFile]] = list(pairs)
    return FormData(fields)


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
    if not (num_media.isascii() and num_media.isdigit()) or int(num_media) > MAX_NUM_MEDIA:
        raise BadForm(f"NumMedia must be a whole number from 0 to {MAX_NUM_MEDIA}")
    return InboundSms(
        message_sid=message_sid,
        from_number=sender.phone,
        channel=sender.channel,
        body=str(form.get("Body") or ""),
        to_number=str(form.get("To") or "")[:32] or None,
        account_sid=str(form.get("AccountSid") or "")[:64] or None,
        num_media=int(num_media),
        opt_out_type=str(form.get("OptOutType") or "").strip().upper()[:16] or None,
    )
