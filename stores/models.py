"""SQLAlchemy 2 models. The migrations in `stores/migrations` create exactly these tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from stores.crypto import EncryptedBytes, EncryptedText


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True, doc="E.164, e.g. +14155550123")
    name: Mapped[str] = mapped_column(EncryptedText, doc="encrypted: what the user is called")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("user_id", "channel", name="uq_conversations_user_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16), doc="sms or whatsapp")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_created", "conversation_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8), doc="inbound or outbound")
    body: Mapped[str] = mapped_column(EncryptedText)
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    segments: Mapped[int | None] = mapped_column(
        Integer, nullable=True, doc="SMS segments an outbound body costs (the cost cap counts them)"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InboxItem(Base):
    __tablename__ = "inbox"
    __table_args__ = (
        Index("ix_inbox_from_received", "from_number", "received_at"),
        Index("ix_inbox_state_id", "state", "id"),
        Index("ix_inbox_claimed_at", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    account_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    from_number: Mapped[str] = mapped_column(String(20), doc="E.164 sender")
    to_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    channel: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(EncryptedText)
    num_media: Mapped[int] = mapped_column(Integer, default=0)
    opt_out_type: Mapped[str | None] = mapped_column(
        String(16), nullable=True, doc="Twilio Advanced Opt-Out's OptOutType (STOP/START/HELP)"
    )
    state: Mapped[str] = mapped_column(String(16), doc="received/processing/done/failed")
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reply: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    error_class: Mapped[str | None] = mapped_column(String(128), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivery: Mapped[str | None] = mapped_column(
        String(16), nullable=True, doc="how the reply left: twiml, outbox or none"
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    not_before: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, doc="deferred by a per-minute limit until then"
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Interaction(Base):
    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), nullable=True
    )
    message_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    planner: Mapped[str] = mapped_column(String(64))
    nodes: Mapped[list[str]] = mapped_column(JSON, default=list)
    tools: Mapped[list[str]] = mapped_column(JSON, default=list)
    steps: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16), doc="ok, fallback or error")
    error_class: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Note(Base):
    __tablename__ = "notes"
    __table_args__ = (
        UniqueConstraint("user_id", "number", name="uq_notes_user_number"),
        UniqueConstraint("source_key", name="uq_notes_source_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer, doc="per-user running number the texter sees")
    text: Mapped[str] = mapped_column(EncryptedText)
    source_key: Mapped[str | None] = mapped_column(
        String(128),
        nullable=True,
        doc="the tool call that wrote it, so a resumed turn never saves the same note twice",
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxItem(Base):
    """One outbound SMS to send through the REST API, exactly once per idempotency key."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16), doc="reply, registration, reminder, retry")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), nullable=True
    )
    inbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox.id", ondelete="SET NULL"), nullable=True
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"),
        nullable=True,
        doc="the conversation log entry whose SID and status this send fills in",
    )
    to_number: Mapped[str] = mapped_column(String(20), doc="E.164")
    channel: Mapped[str] = mapped_column(String(16), doc="sms or whatsapp")
    from_address: Mapped[str | None] = mapped_column(
        String(40), nullable=True, doc="the number the texter wrote to; None: the default sender"
    )
    body: Mapped[str] = mapped_column(EncryptedText)
    state: Mapped[str] = mapped_column(
        String(16), doc="pending/sending/sent/delivered/failed/refused"
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivery_retries: Mapped[int] = mapped_column(
        Integer, default=0, doc="resends after an undelivered status callback (at most one)"
    )
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    uncertain_since: Mapped[datetime | None] = mapped_column(
        UTCDateTime(),
        nullable=True,
        doc="An attempt since then may have reached Twilio: look before sending again",
    )
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    twilio_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    error_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_class: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ServiceFlag(Base):
    """Process-wide switches that every worker must see, e.g. sending paused after a 20003."""

    __tablename__ = "service_flags"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Memory(Base):
    """A durable fact about a user. SQL is the truth (the vector too); FAISS only indexes it."""

    __tablename__ = "memories"
    __table_args__ = (Index("ix_memories_user_current", "user_id", "superseded_by_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(EncryptedText)
    subject: Mapped[str | None] = mapped_column(
        String(200),
        nullable=True,
        doc="what the fact is about, normalised; same subject supersedes",
    )
    origin: Mapped[str] = mapped_column(String(16), doc="explicit (remember) or extracted")
    source_message_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("memories.id", ondelete="SET NULL"), nullable=True
    )
    embedding: Mapped[bytes] = mapped_column(doc="float32 vector, unit length")
    embedding_model: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ConversationSummary(Base):
    """The running summary of a conversation's folded turns; the newest row is the current one."""

    __tablename__ = "summaries"
    __table_args__ = (Index("ix_summaries_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(EncryptedText)
    folded_messages: Mapped[int] = mapped_column(Integer, doc="messages folded in by this row")
    method: Mapped[str] = mapped_column(String(16), doc="llm or extractive")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class KbDocument(Base):
    """One file in a knowledge base: a user's own (collection "user:<id>") or "shared"."""

    __tablename__ = "kb_documents"
    __table_args__ = (
        UniqueConstraint("collection", "location", name="uq_kb_documents_collection_location"),
        Index("ix_kb_documents_collection_hash", "collection", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    source: Mapped[str] = mapped_column(String(255), doc="the name answers cite, e.g. lease.pdf")
    location: Mapped[str] = mapped_column(String(1000), doc="absolute path, or mms:<sid>/<n>")
    content_hash: Mapped[str] = mapped_column(String(64), doc="sha256 of the file's bytes")
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    chunk_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class KbChunk(Base):
    __tablename__ = "kb_chunks"
    __table_args__ = (Index("ix_kb_chunks_document", "document_id", "ordinal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("kb_documents.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(EncryptedText)
    embedding: Mapped[bytes] = mapped_column(doc="float32 vector, unit length")
    embedding_model: Mapped[str] = mapped_column(String(64))


class MediaItem(Base):
    """A picture or other non-text attachment a user texted in (MMS), kept with its type."""

    __tablename__ = "media_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(EncryptedBytes)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InboxMedia(Base):
    """MediaUrl{N} / MediaContentType{N} of an inbound MMS, kept until the runner fetches them."""

    __tablename__ = "inbox_media"
    __table_args__ = (UniqueConstraint("inbox_id", "ordinal", name="uq_inbox_media_ordinal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inbox.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer, doc="N in MediaUrl{N}")
    url: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(100))


class VectorIndexVersion(Base):
    """Which state of a FAISS collection is current; every process reloads when its copy is stale.

    Writers bump `version` first in their transaction (taking the row lock), so writes to one
    collection are serialised and a process that saw version N-1 can apply change N in place.
    `generation` is new whenever the row is (re)created, so a recycled version number never
    matches an old in-memory index.
    """

    __tablename__ = "vector_indexes"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    generation: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsentEvent(Base):
    """Every consent change (STOP, START, HELP, carrier opt-outs): the carriers' audit trail."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_phone_created", "phone", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), doc="E.164; kept even after the user is removed")
    kind: Mapped[str] = mapped_column(String(16), doc="opt_out, opt_in or help")
    keyword: Mapped[str] = mapped_column(String(32), doc="what was texted, e.g. STOP")
    source: Mapped[str] = mapped_column(String(32), doc="keyword, optout_type, twilio_21610, admin")
    message_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReplyContinuation(Base):
    """The rest of a reply that was too long to send at once; MORE sends the next part."""

    __tablename__ = "reply_continuations"
    __table_args__ = (UniqueConstraint("phone", "channel", name="uq_reply_continuations_to"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(16))
    remaining: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Reminder(Base):
    """A reminder that texts the user back; recurring ones keep an RRULE in local wall time."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("user_id", "number", name="uq_reminders_user_number"),
        UniqueConstraint("source_key", name="uq_reminders_source_key"),
        Index("ix_reminders_state_due", "state", "due_at"),
        Index("ix_reminders_user_fired", "user_id", "last_fired_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer, doc="per-user running number the texter sees")
    channel: Mapped[str] = mapped_column(String(16), doc="where to text it: sms or whatsapp")
    text: Mapped[str] = mapped_column(EncryptedText)
    timezone: Mapped[str] = mapped_column(String(64), doc="the zone the times were given in")
    rrule: Mapped[str | None] = mapped_column(String(200), nullable=True)
    start_local: Mapped[str | None] = mapped_column(
        String(19), nullable=True, doc="the RRULE's DTSTART, local wall time (ISO, naive)"
    )
    occurs_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), doc="the occurrence due next (its idempotency key)"
    )
    due_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), doc="when to try it: occurs_at, or later when held (quiet hours, cap)"
    )
    urgent: Mapped[bool] = mapped_column(default=False, doc="ignores quiet hours")
    state: Mapped[str] = mapped_column(String(16), doc="scheduled/sent/done/cancelled/missed")
    last_fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    missed_notice: Mapped[str | None] = mapped_column(
        EncryptedText,
        nullable=True,
        doc="an occurrence missed while down, told in the next message",
    )
    source_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Todo(Base):
    """One item on the user's list."""

    __tablename__ = "todos"
    __table_args__ = (Index("ix_todos_user_done", "user_id", "done"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(EncryptedText)
    done: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class UserPreference(Base):
    """Per-user settings beyond name and timezone; no row means the service defaults."""

    __tablename__ = "user_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    quiet_start: Mapped[str] = mapped_column(String(5), doc="HH:MM local; start == end: none")
    quiet_end: Mapped[str] = mapped_column(String(5), doc="HH:MM local")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
