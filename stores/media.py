"""MMS attachments: the MediaUrl{N}/MediaContentType{N} an inbound carried (kept with its inbox
row until the runner fetches them), and the non-text media users sent (kept with their type)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.models import InboxMedia, MediaItem

MAX_MEDIA_PER_MESSAGE = 10
"""Twilio's own limit per MMS."""


@dataclass(frozen=True)
class InboundMedia:
    """One attachment as Twilio's webhook announced it."""

    url: str
    content_type: str


def media_from_form(form: Mapping[str, Any]) -> list[InboundMedia]:
    """MediaUrl0..N-1 with their MediaContentType from a webhook form (NumMedia=N)."""
    try:
        count = int(str(form.get("NumMedia") or "0").strip())
    except ValueError:
        return []
    items = []
    for n in range(min(max(count, 0), MAX_MEDIA_PER_MESSAGE)):
        url = str(form.get(f"MediaUrl{n}") or "").strip()
        if url:
            content_type = str(form.get(f"MediaContentType{n}") or "").strip().lower()
            items.append(InboundMedia(url=url, content_type=content_type or "unknown"))
    return items


async def record_inbound_media(
    session: AsyncSession, *, inbox_id: int, media: Sequence[InboundMedia]
) -> None:
    """Keep an inbound's attachments with its inbox row (call once, when the row is new)."""
    for ordinal, item in enumerate(media[:MAX_MEDIA_PER_MESSAGE]):
        session.add(
            InboxMedia(
                inbox_id=inbox_id,
                ordinal=ordinal,
                url=item.url,
                content_type=item.content_type[:100],
            )
        )
    await session.flush()


async def inbound_media(session: AsyncSession, *, inbox_id: int) -> list[InboundMedia]:
    query = select(InboxMedia).where(InboxMedia.inbox_id == inbox_id).order_by(InboxMedia.ordinal)
    return [
        InboundMedia(url=row.url, content_type=row.content_type)
        for row in (await session.execute(query)).scalars()
    ]


async def store_media_item(
    session: AsyncSession,
    *,
    user_id: int,
    message_sid: str | None,
    ordinal: int,
    content_type: str,
    data: bytes,
    clock: Clock,
) -> MediaItem:
    """Keep a non-text attachment; storing the same (message, ordinal) twice keeps one."""
    if message_sid is not None:
        existing = (
            await session.execute(
                select(MediaItem).where(
                    MediaItem.message_sid == message_sid, MediaItem.ordinal == ordinal
                )
            )
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    item = MediaItem(
        user_id=user_id,
        message_sid=message_sid,
        ordinal=ordinal,
        content_type=content_type,
        size_bytes=len(data),
        data=data,
        created_at=clock.now(),
    )
    session.add(item)
    await session.flush()
    return item
