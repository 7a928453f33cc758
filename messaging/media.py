"""MMS in: fetch what a texter attached and keep it. Documents go into their knowledge base;
pictures and other allowed media are stored with their type. The result is a reply saying what
was saved and what was refused.

Media URLs are fetched only from Twilio's API host, through the same base-URL override as the REST
client (TWILIO_API_BASE_URL), so tests and local fakes never reach the internet and a forged URL
cannot make the service fetch from anywhere else. Each item may be at most MEDIA_MAX_BYTES
(default 5 MB) and must have a type on the allow-list.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from stores import kb
from stores.clock import Clock
from stores.db import Database
from stores.documents import UnreadableDocument
from stores.embeddings import TextEmbeddings
from stores.media import InboundMedia, store_media_item
from stores.settings import Settings

log = logging.getLogger(__name__)

TWILIO_API_HOST = "api.twilio.com"
FETCH_TIMEOUT_SECONDS = 15.0
DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/markdown": ".md",
}
"""Text-bearing types: ingested into the sender's knowledge base."""
KEPT_TYPES = {
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif",
    "audio/mpeg", "audio/mp4", "audio/ogg", "audio/amr", "video/mp4", "video/3gpp",
    "text/vcard", "text/x-vcard",
}  # fmt: skip
"""Other types we keep as they are."""
ACCEPTED_AS_SERVED = {*DOCUMENT_TYPES, "application/octet-stream"}
"""What the download itself may say it is (generic bytes: we go by the declared type)."""


class MediaRefused(Exception):
    """This attachment was not saved; str(error) is the reason, worded for the texter."""


@dataclass(frozen=True)
class MediaResult:
    ordinal: int
    content_type: str
    saved: str | None = None
    """What was saved, e.g. "text-2026-01-15-1.pdf (3 passages)" or "a photo"."""
    refused: str | None = None


def _base_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def media_request_url(url: str, settings: Settings) -> str:
    """The URL to fetch: Twilio's host mapped onto TWILIO_API_BASE_URL; anything else refused."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise MediaRefused("its link is not a valid URL") from None
    base = httpx.URL(settings.twilio_api_base_url)
    if parsed.host == TWILIO_API_HOST and parsed.scheme == "https":
        return str(base.copy_with(path=parsed.path, query=parsed.query or None))
    if (parsed.scheme, parsed.host, parsed.port) == (base.scheme, base.host, base.port):
        return url
    raise MediaRefused("its link is not a Twilio media link")


async def fetch_media(
    client: httpx.AsyncClient, url: str, *, settings: Settings, max_bytes: int
) -> tuple[bytes, str]:
    """The attachment's bytes and its served content type; MediaRefused when over the cap."""
    auth = None
    if settings.twilio_account_sid and settings.twilio_auth_token:
        auth = httpx.BasicAuth(
            settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value()
        )
    target = media_request_url(url, settings)
    limit = f"{max_bytes / (1024 * 1024):g} MB"
    try:
        async with client.stream("GET", target, auth=auth, follow_redirects=True) as response:
            if response.status_code != 200:
                raise MediaRefused(f"I couldn't download it (HTTP {response.status_code})")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise MediaRefused(f"it is over the {limit} limit")
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise MediaRefused(f"it is over the {limit} limit")
                chunks.append(chunk)
            return b"".join(chunks), _base_type(response.headers.get("content-type", ""))
    except httpx.HTTPError as error:
        raise MediaRefused(f"I couldn't download it ({type(error).__name__})") from None


def _document_name(message_sid: str, ordinal: int, content_type: str, clock: Clock) -> str:
    suffix = DOCUMENT_TYPES.get(content_type) or mimetypes.guess_extension(content_type) or ""
    return f"text-{clock.now():%Y-%m-%d}-{message_sid[-4:]}-{ordinal + 1}{suffix}"


async def _save_one(
    client: httpx.AsyncClient,
    item: InboundMedia,
    ordinal: int,
    *,
    user_id: int,
    message_sid: str,
    database: Database,
    embeddings: TextEmbeddings,
    settings: Settings,
    clock: Clock,
) -> MediaResult:
    declared = _base_type(item.content_type)
    if declared not in DOCUMENT_TYPES and declared not in KEPT_TYPES:
        raise MediaRefused(f"I don't accept {declared or 'that type of file'}")
    data, served = await fetch_media(
        client, item.url, settings=settings, max_bytes=settings.media_max_bytes
    )
    if served and served not in ACCEPTED_AS_SERVED and served not in KEPT_TYPES:
        raise MediaRefused(f"it arrived as {served}, which I don't accept")
    if declared in DOCUMENT_TYPES:
        name = _document_name(message_sid, ordinal, declared, clock)
        try:
            result = await kb.ingest(
                database,
                embeddings,
                user_id=user_id,
                source=name,
                location=f"mms:{message_sid}/{ordinal}",
                data=data,
                content_type=declared,
                clock=clock,
            )
        except UnreadableDocument as error:
            reason = str(error).split(": ", 1)[-1]
            raise MediaRefused(f"I couldn't read it ({reason})") from None
        if result.status == "duplicate":
            return MediaResult(ordinal, declared, saved=f"{name} (already had it)")
        return MediaResult(ordinal, declared, saved=f"{name} ({result.chunks} passages)")
    async with database.session() as session:
        await store_media_item(
            session,
            user_id=user_id,
            message_sid=message_sid,
            ordinal=ordinal,
            content_type=declared,
            data=data,
            clock=clock,
        )
    kind = declared.split("/", 1)[0]
    return MediaResult(ordinal, declared, saved={"image": "a photo"}.get(kind, f"a {kind} file"))


async def save_inbound_media(
    media: Sequence[InboundMedia],
    *,
    user_id: int,
    message_sid: str,
    database: Database,
    embeddings: TextEmbeddings,
    settings: Settings,
    clock: Clock,
    client: httpx.AsyncClient | None = None,
) -> str:
    """Fetch and keep every attachment; returns the reply that says what happened to each.
    Never raises for one bad attachment: it is refused and the rest are saved."""
    results: list[MediaResult] = []
    own_client = client is None
    client = client or httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS)
    try:
        for ordinal, item in enumerate(media):
            try:
                results.append(
                    await _save_one(
                        client,
                        item,
                        ordinal,
                        user_id=user_id,
                        message_sid=message_sid,
                        database=database,
                        embeddings=embeddings,
                        settings=settings,
                        clock=clock,
                    )
                )
            except MediaRefused as refusal:
                results.append(MediaResult(ordinal, item.content_type, refused=str(refusal)))
                log.info("MMS item %d of %s refused: %s", ordinal, message_sid, refusal)
    finally:
        if own_client:
            await client.aclose()
    return describe(results)


def describe(results: Sequence[MediaResult]) -> str:
    documents = [r.saved for r in results if r.saved and r.content_type in DOCUMENT_TYPES]
    others = [r.saved for r in results if r.saved and r.content_type not in DOCUMENT_TYPES]
    lines = []
    if documents:
        lines.append("Added to your documents: " + ", ".join(documents) + ". Ask me about it.")
    if others:
        lines.append("Saved " + ", ".join(others) + ".")
    several = len(results) > 1
    for r in results:
        if r.refused:
            which = f"Attachment {r.ordinal + 1}" if several else "Your attachment"
            lines.append(f"{which} wasn't saved: {r.refused}.")
    return "\n".join(lines) or "There was nothing attached."
