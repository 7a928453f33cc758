"""How a turn ended: the one vocabulary the inbox, the interaction log, metrics and the admin share.

A StrEnum, so rows written before it existed (plain strings) and label values stay the same.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    # The graph ran.
    OK = "ok"
    """The planner answered (interaction log)."""
    FALLBACK = "fallback"
    """The step limit cut the turn short; the texter got the fallback reply."""
    OUT_OF_TIME = "out_of_time"
    """The turn's time budget ran out; the texter got a short apology."""
    REPLIED = "replied"
    """The inbox row was answered (by the graph or a fixed answer)."""
    ACCOUNT_DELETED = "account_deleted"
    MEDIA_SAVED = "media_saved"
    ERROR = "error"
    DUPLICATE = "duplicate"
    """A redelivered MessageSid: answered once already."""

    # Answered before the graph (compliance words and replies to the assistant's own texts).
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    HELP = "help"
    MORE = "more"
    NO_REMINDER = "no_reminder"
    REMINDER_DONE = "reminder_done"
    REMINDER_SNOOZED = "reminder_snoozed"
    SNOOZE_INVALID = "snooze_invalid"

    # Not answered by the graph: who sent it, or how much.
    IGNORED_UNKNOWN = "ignored_unknown"
    IGNORED_BLOCKED = "ignored_blocked"
    IGNORED_OPTED_OUT = "ignored_opted_out"
    IGNORED_INVALID_NUMBER = "ignored_invalid_number"
    REGISTRATION_SENT = "registration_sent"
    DEFERRED = "deferred"
    """Over a per-minute limit: back in the queue until the window allows (TurnResult only)."""
    RATE_LIMITED = "rate_limited"
    RATE_LIMITED_NOTICE = "rate_limited_notice"
    RATE_LIMITED_GLOBAL = "rate_limited_global"
    COST_CAPPED = "cost_capped"
    COST_CAPPED_NOTICE = "cost_capped_notice"

    @classmethod
    def ignored(cls, user_status: str) -> Outcome:
        """The outcome for a text from a user who may not be answered (blocked, opted out...)."""
        return cls(f"ignored_{user_status}")
