"""The admin API's request and response bodies (they are also its OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

UserStatus = Literal["active", "opted_out", "blocked"]


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=1, max_length=40, examples=["+14155550123"])
    name: str = Field(min_length=1, max_length=100, examples=["Ann"])
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA zone; DEFAULT_TIMEZONE when omitted."
    )


class UserChange(BaseModel):
    """Only the fields given change. Opted-out users stay opted out: only START undoes it."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)
    status: UserStatus | None = None


class UserOut(BaseModel):
    id: int
    phone: str
    name: str
    timezone: str
    status: str
    created_at: datetime
    updated_at: datetime


class ConversationOut(BaseModel):
    id: int
    user_id: int
    user_name: str
    phone: str
    channel: str
    messages: int
    last_message_at: datetime | None


class MessageOut(BaseModel):
    id: int
    direction: str
    body: str
    status: str
    twilio_sid: str | None
    created_at: datetime


class RunOut(BaseModel):
    id: int
    user_id: int | None
    user_name: str | None = Field(default=None, description="Whom the run was for.")
    timezone: str | None = Field(default=None, description="Their timezone (for display).")
    conversation_id: int | None
    message_sid: str | None
    planner: str
    nodes: list[str]
    tools: list[str]
    steps: int
    latency_ms: int
    outcome: str
    error_class: str | None
    created_at: datetime


class OutboxOut(BaseModel):
    id: int
    kind: str
    to_number: str
    user_id: int | None
    user_name: str | None = Field(description="The recipient, when they are a registered user.")
    timezone: str | None = Field(description="The recipient's timezone (for display).")
    body: str = Field(description="The text as sent (decrypted).")
    state: str = Field(
        description="pending, sending, sent, delivered, failed, refused, or not_sent (no Twilio "
        "credentials: nothing left the machine)."
    )
    state_text: str = Field(description="The state as a person should read it.")
    attempts: int
    twilio_sid: str | None
    twilio_status: str | None
    error_code: int | None
    created_at: datetime


class PersonData(BaseModel):
    """What the assistant keeps for one person: reminders and memories at a glance."""

    user_id: int
    name: str
    timezone: str
    reminders: int = Field(description="Scheduled reminders.")
    next_reminder_at: datetime | None
    held: int = Field(description="Reminders waiting past their time (quiet hours, daily cap).")
    memories: int = Field(description="Current (not superseded) memories.")


class TableInfo(BaseModel):
    name: str
    present: bool
    rows: int | None


class AdminStatus(BaseModel):
    auth: Literal["token", "local-development"]
    tracing: str
    tables: list[TableInfo]


class SimulatedText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=1, max_length=40, examples=["+14155550123"])
    body: str = Field(min_length=1, max_length=1600, examples=["help"])


class SimulatedResult(BaseModel):
    message_sid: str
    webhook_status: int
    replies: list[str] = Field(description="The TwiML <Message> texts the webhook answered.")


class ThreadItem(BaseModel):
    """One bubble in the simulator's phone thread."""

    key: str = Field(description="Stable id of the bubble (source and row id).")
    direction: Literal["inbound", "outbound"]
    body: str
    status: str
    at: datetime


class Thread(BaseModel):
    phone: str
    registered: bool
    items: list[ThreadItem]
