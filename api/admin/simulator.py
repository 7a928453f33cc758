"""The simulator: text the assistant as any number through the real webhook, and read the thread.

A simulated text is a Twilio form, signed with TWILIO_AUTH_TOKEN exactly as Twilio would sign it,
posted in-process (httpx's ASGI transport) to this app's own POST /twilio/sms. So it takes the
same path as a real text: signature check, inbox, keyword router, runner, TwiML or outbox.

The thread is read back from the tables, so replies that leave later (by the outbox, reminders)
show up too: the conversation's messages, inbound texts that never became messages (unknown or
blocked senders), and outbox rows not already shown as a message.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from api.admin import schemas
from api.admin.responses import AdminError
from api.admin.service import _aware, check_phone
from api.signature import sign
from messaging.limits import operator_sid
from messaging.logs import request_id_var
from stores import outbox, users
from stores.db import Database
from stores.models import Conversation, InboxItem, Message, OutboxItem
from stores.settings import Settings

WEBHOOK_PATH = "/twilio/sms"
LOCAL_BASE = "http://127.0.0.1"
DEFAULT_TO = "+15005550006"
THREAD_LIMIT = 100
WEBHOOK_TIMEOUT_SECONDS = 30.0


def new_message_sid() -> str:
    """Marked as the operator's own (not rate-limited in development: messaging.limits)."""
    return operator_sid("SMsim")


async def send_text(
    app: FastAPI, settings: Settings, text: schemas.SimulatedText
) -> schemas.SimulatedResult:
    phone = check_phone(text.phone, settings)
    sid = new_message_sid()
    params = [
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("AccountSid", settings.twilio_account_sid or "AC" + "0" * 32),
        ("From", phone),
        ("To", settings.twilio_from_number or DEFAULT_TO),
        ("Body", text.body),
        ("NumMedia", "0"),
        ("ApiVersion", "2010-04-01"),
    ]
    # The webhook checks the signature against PUBLIC_BASE_URL when set, else its Host header.
    signed_url = (settings.public_base_url or LOCAL_BASE) + WEBHOOK_PATH
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    headers = {
        "X-Twilio-Signature": sign(signed_url, params, token),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    request_id = request_id_var.get()
    if request_id:
        headers["X-Request-ID"] = request_id
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=LOCAL_BASE, timeout=WEBHOOK_TIMEOUT_SECONDS
    ) as client:
        response = await client.post(WEBHOOK_PATH, content=urlencode(params), headers=headers)
    if response.status_code != 200:
        detail = _error_text(response)
        raise AdminError(502, f"the webhook answered HTTP {response.status_code}: {detail}")
    try:
        replies = [m.text or "" for m in ET.fromstring(response.text).iter("Message")]
    except ET.ParseError:
        raise AdminError(502, "the webhook's answer is not TwiML") from None
    return schemas.SimulatedResult(message_sid=sid, webhook_status=200, replies=replies)


def _error_text(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", ""))[:200]
    except ValueError:
        return response.text[:200]


@dataclass(frozen=True)
class _Bubble:
    at: datetime
    rank: int
    item: schemas.ThreadItem


def _bubble(key: str, direction: str, body: str, status: str, at: datetime, rank: int) -> _Bubble:
    item = schemas.ThreadItem(
        key=key,
        direction=direction,  # type: ignore[arg-type]
        body=body,
        status=status,
        at=at,
    )
    return _Bubble(at=at, rank=rank, item=item)


async def thread(database: Database, settings: Settings, raw_phone: str) -> schemas.Thread:
    phone = check_phone(raw_phone, settings)
    bubbles: list[_Bubble] = []
    shown_sids: set[str] = set()
    shown_message_ids: set[int] = set()
    async with database.session() as session:
        user = await users.get_user_by_phone(session, phone=phone)
        if user is not None:
            rows = (
                await session.execute(
                    select(Message)
                    .join(Conversation, Message.conversation_id == Conversation.id)
                    .where(Conversation.user_id == user.id)
                    .order_by(Message.id.desc())
                    .limit(THREAD_LIMIT)
                )
            ).scalars()
            for message in rows:
                shown_message_ids.add(message.id)
                if message.twilio_sid:
                    shown_sids.add(message.twilio_sid)
                rank = 0 if message.direction == "inbound" else 1
                bubbles.append(
                    _bubble(
                        f"message-{message.id}",
                        message.direction,
                        message.body,
                        outbox.STATE_TEXT.get(message.status, message.status),
                        message.created_at,
                        rank,
                    )
                )
        inbound = (
            await session.execute(
                select(InboxItem)
                .where(InboxItem.from_number == phone)
                .order_by(InboxItem.id.desc())
                .limit(THREAD_LIMIT)
            )
        ).scalars()
        unanswered_inbox: dict[int, InboxItem] = {}
        for item in inbound:
            if item.message_sid in shown_sids:
                continue
            status = item.outcome or item.state
            bubbles.append(
                _bubble(f"inbox-{item.id}", "inbound", item.body, status, item.received_at, 0)
            )
            if item.reply:
                unanswered_inbox[item.id] = item
    outbox_rows = await _outbox_rows(database, phone)
    for row in outbox_rows:
        if row.get("message_id") in shown_message_ids or row.get("twilio_sid") in shown_sids:
            continue
        # An outbox row for an inbox row is that text's reply: show it once, with its state.
        unanswered_inbox.pop(int(row.get("inbox_id") or -1), None)  # type: ignore[call-overload]
        status = str(row.get("twilio_status") or row["state"])
        at = _aware(row["created_at"])  # type: ignore[arg-type]
        if at is None:
            continue
        bubbles.append(_bubble(f"outbox-{row['id']}", "outbound", str(row["body"]), status, at, 2))
    for answered in unanswered_inbox.values():
        at = answered.updated_at or answered.received_at
        bubbles.append(
            _bubble(f"reply-{answered.id}", "outbound", answered.reply or "", "replied", at, 1)
        )
    bubbles.sort(key=lambda b: (b.at, b.rank, b.item.key))
    return schemas.Thread(
        phone=phone,
        registered=user is not None,
        items=[b.item for b in bubbles[-THREAD_LIMIT:]],
    )


async def _outbox_rows(database: Database, phone: str) -> list[dict[str, object]]:
    """Outbox rows to this number, decrypted (through the model: never ciphertext)."""
    query = (
        select(OutboxItem)
        .where(OutboxItem.to_number == phone)
        .order_by(OutboxItem.id.desc())
        .limit(THREAD_LIMIT)
    )
    async with database.session() as session:
        rows = (await session.execute(query)).scalars().all()
    return [
        {
            "id": row.id,
            "body": row.body,
            "state": outbox.STATE_TEXT.get(row.state, row.state),
            "twilio_status": row.twilio_status,
            "created_at": row.created_at,
            "message_id": row.message_id,
            "inbox_id": row.inbox_id,
            "twilio_sid": row.twilio_sid,
        }
        for row in rows
    ]
