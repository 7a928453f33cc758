"""MMS attachments fetched from a real local HTTP server standing in for Twilio's media host."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from sqlalchemy import select

from messaging.media import media_request_url, save_inbound_media
from stores import kb
from stores.media import (
    InboundMedia,
    inbound_media,
    media_from_form,
    record_inbound_media,
)
from stores.models import MediaItem
from tests.conftest import make_settings
from tests.documents import LEASE_LINES, make_pdf
from tests.fake_embeddings import HashEmbeddings
from tests.helpers import add_user, new_sid
from tests.queries import count_media_items

ACCOUNT = "AC" + "a" * 32
TOKEN = "media-token"
MEDIA_PATH = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/MM0123/Media/"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2000
BIG = b"\x00" * (5 * 1024 * 1024 + 1)


class _TwilioMedia(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, tuple[bytes, str]]] = {}
    requested: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _TwilioMedia.requested.append(self.path)
        expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.end_headers()
            return
        name = self.path.rsplit("/", 1)[-1]
        if name == "ME-redirect":  # Twilio answers with a redirect to its CDN
            self.send_response(307)
            self.send_header("Location", MEDIA_PATH + "ME-pdf")
            self.end_headers()
            return
        if name not in self.files:
            self.send_response(404)
            self.end_headers()
            return
        body, content_type = self.files[name]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def media_server() -> Iterator[str]:
    _TwilioMedia.files = {
        "ME-pdf": (make_pdf(LEASE_LINES), "application/pdf"),
        "ME-jpeg": (JPEG, "image/jpeg"),
        "ME-big": (BIG, "image/png"),
        "ME-empty": (b"", "text/plain"),
    }
    _TwilioMedia.requested = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TwilioMedia)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def twilio_url(name: str) -> str:
    return f"https://api.twilio.com{MEDIA_PATH}{name}"


async def test_documents_go_to_the_knowledge_base_and_photos_are_kept(
    database, clock, media_server
):
    settings = make_settings(
        "sqlite://",
        twilio_api_base_url=media_server,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=TOKEN,
    )
    ann = await add_user(database, clock, "+14155550123")
    emb = HashEmbeddings()
    sid = "MM" + "0" * 28 + "beef"
    media = [
        InboundMedia(twilio_url("ME-redirect"), "application/pdf"),
        InboundMedia(twilio_url("ME-jpeg"), "image/jpeg"),
        InboundMedia(twilio_url("ME-big"), "image/png"),
        InboundMedia(twilio_url("ME-mov"), "video/quicktime"),
        InboundMedia(twilio_url("ME-empty"), "text/plain"),
        InboundMedia(twilio_url("ME-gone"), "image/gif"),
        InboundMedia("https://evil.example/steal", "image/png"),
    ]
    reply = await save_inbound_media(
        media,
        user_id=ann.id,
        message_sid=sid,
        database=database,
        embeddings=emb,
        settings=settings,
        clock=clock,
    )
    assert reply == (
        "Added to your documents: text-2026-01-15-beef-1.pdf (1 passages). Ask me about it.\n"
        "Saved a photo.\n"
        "Attachment 3 wasn't saved: it is over the 5 MB limit.\n"
        "Attachment 4 wasn't saved: I don't accept video/quicktime.\n"
        "Attachment 5 wasn't saved: I couldn't read it (the file is empty).\n"
        "Attachment 6 wasn't saved: I couldn't download it (HTTP 404).\n"
        "Attachment 7 wasn't saved: its link is not a Twilio media link."
    )
    # Refused types are never fetched; nothing left this machine.
    assert not any(path.endswith("ME-mov") for path in _TwilioMedia.requested)
    found = await kb.search(database, emb, user_id=ann.id, query="pets deposit", k=1, min_score=0.1)
    assert [p.source for p in found] == ["text-2026-01-15-beef-1.pdf"]
    async with database.session() as session:
        [photo] = (await session.execute(select(MediaItem))).scalars().all()
        assert (photo.content_type, photo.size_bytes, photo.data) == ("image/jpeg", len(JPEG), JPEG)
        assert photo.user_id == ann.id and photo.message_sid == sid

    # A redelivered webhook saves nothing twice.
    again = await save_inbound_media(
        media[:2],
        user_id=ann.id,
        message_sid=sid,
        database=database,
        embeddings=emb,
        settings=settings,
        clock=clock,
    )
    assert "Saved a photo." in again
    async with database.session() as session:
        assert await count_media_items(session, user_id=ann.id) == 1
        assert len(await kb.list_documents(session)) == 1


async def test_wrong_credentials_are_a_clear_refusal(database, clock, media_server):
    settings = make_settings(
        "sqlite://",
        twilio_api_base_url=media_server,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token="wrong",
    )
    ann = await add_user(database, clock, "+14155550123")
    reply = await save_inbound_media(
        [InboundMedia(twilio_url("ME-jpeg"), "image/jpeg")],
        user_id=ann.id,
        message_sid=new_sid(),
        database=database,
        embeddings=HashEmbeddings(),
        settings=settings,
        clock=clock,
    )
    assert reply == "Your attachment wasn't saved: I couldn't download it (HTTP 401)."


def test_only_twilio_media_links_are_fetched_through_the_override():
    settings = make_settings("sqlite://", twilio_api_base_url="http://127.0.0.1:9999")
    assert media_request_url(twilio_url("ME1"), settings) == (
        f"http://127.0.0.1:9999{MEDIA_PATH}ME1"
    )
    assert media_request_url("http://127.0.0.1:9999/x", settings) == "http://127.0.0.1:9999/x"
    for url in ("http://api.twilio.com/x", "https://127.0.0.1:9999/x", "file:///etc/passwd"):
        with pytest.raises(Exception, match="not a Twilio media link"):
            media_request_url(url, settings)


async def test_the_webhook_form_fields_are_kept_with_the_inbox_row(database, clock):
    from stores import inbox
    from stores.inbox import InboundSms

    form = {
        "NumMedia": "2",
        "MediaUrl0": twilio_url("ME1"),
        "MediaContentType0": "image/JPEG",
        "MediaUrl1": twilio_url("ME2"),
        "MediaContentType1": "application/pdf",
        "MediaUrl2": twilio_url("ignored: beyond NumMedia"),
    }
    media = media_from_form(form)
    assert media == [
        InboundMedia(twilio_url("ME1"), "image/jpeg"),
        InboundMedia(twilio_url("ME2"), "application/pdf"),
    ]
    assert media_from_form({"NumMedia": "x"}) == [] == media_from_form({})
    async with database.session() as session:
        row, _ = await inbox.receive(
            session,
            inbound=InboundSms(
                message_sid=new_sid(),
                from_number="+14155550123",
                channel="sms",
                body="",
                num_media=2,
            ),
            clock=clock,
        )
        await record_inbound_media(session, inbox_id=row.id, media=media)
    async with database.session() as session:
        assert await inbound_media(session, inbox_id=row.id) == media


async def test_an_mms_texted_to_the_webhook_lands_in_the_senders_documents(
    sqlite_url, clock, media_server
):
    """The whole path: signed webhook with MediaUrl0 -> inbox_media -> runner -> documents."""
    import xml.etree.ElementTree as ET

    from tests.api.conftest import SMS_URL, start_app
    from tests.helpers import post_signed, twilio_form

    settings = make_settings(
        sqlite_url,
        twilio_api_base_url=media_server,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=TOKEN,
    )
    async for harness in start_app(settings, clock):
        ann = await add_user(harness.database, clock, "+14155550123")
        form = twilio_form(
            "",
            "+14155550123",
            NumMedia="1",
            MediaUrl0=twilio_url("ME-pdf"),
            MediaContentType0="application/pdf",
        )
        # The account's token signs the webhook and fetches the media.
        response = await post_signed(harness.client, form, token=TOKEN, signed_url=SMS_URL)
        [reply] = [m.text for m in ET.fromstring(response.text).iter("Message")]
        assert reply.startswith("Added to your documents:") and ".pdf" in reply
        async with harness.database.session() as session:
            documents = await kb.list_documents(session, collections=[kb.collection_for(ann.id)])
        assert len(documents) == 1
