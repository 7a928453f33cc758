"""Prometheus metrics: the objects, the helpers the pipeline calls, and what we count ourselves.

Three sources feed them:
- helpers the message pipeline calls where the event happens (`record_webhook`, `record_send`,
  `record_opt_out`, `record_rate_limit_hit`);
- a LangChain callback handler installed process-wide (`TurnMetricsHandler`): every graph run,
  tool call and model call reports here without the runner passing anything;
- gauges read from the database at scrape time (`refresh_database_gauges`): queue depths and how
  many users are in each state.

Labels never carry phone numbers, bodies or ids, so cardinality stays small and nothing personal
leaves through /metrics. One registry per process; with several processes each exposes its own.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import column, func, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from stores.models import InboxItem, User

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

WEBHOOKS = Counter(
    "sms_webhooks",
    "Inbound Twilio webhooks by how they ended (replied, duplicate, ignored_*, rejected, ...).",
    ["outcome"],
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "sms_http_requests",
    "HTTP requests by route template, method and status code.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "sms_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["route"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
    registry=REGISTRY,
)
TURN_LATENCY = Histogram(
    "sms_turn_duration_seconds",
    "Wall time of one agent turn (a graph run), by outcome (ok, fallback, error).",
    ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 12, 20, 30, 60),
    registry=REGISTRY,
)
TOOL_CALLS = Counter(
    "sms_tool_calls",
    "Tool calls made by the planner, by tool and outcome (ok, error).",
    ["tool", "outcome"],
    registry=REGISTRY,
)
INVALID_TOOL_CALLS = Counter(
    "sms_invalid_tool_calls",
    "Tool calls the model got wrong (malformed_arguments, unknown_tool), by tool name.",
    ["tool", "reason"],
    registry=REGISTRY,
)
LLM_TOKENS = Counter(
    "sms_llm_tokens",
    "Tokens the chat model reported, by model and kind (input, output).",
    ["model", "kind"],
    registry=REGISTRY,
)
OUTBOUND_SENDS = Counter(
    "sms_outbound_sends",
    "Outbound REST sends by result (sent, failed, refused, retry, delivered, undelivered).",
    ["status"],
    registry=REGISTRY,
)
OPT_OUTS = Counter(
    "sms_opt_outs",
    "Opt-outs by source (keyword: the texter sent STOP; admin: an operator set it).",
    ["source"],
    registry=REGISTRY,
)
OPT_INS = Counter(
    "sms_opt_ins",
    "Opt-ins after an opt-out, by source (keyword: START; admin).",
    ["source"],
    registry=REGISTRY,
)
RATE_LIMIT_HITS = Counter(
    "sms_rate_limit_hits",
    "Requests refused or deferred by a rate limit, by which limit.",
    ["limit"],
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "sms_queue_depth",
    "Rows waiting to be worked on: inbox (received, processing), outbox (pending, sending).",
    ["queue", "state"],
    registry=REGISTRY,
)
OUTBOX_FAILED = Gauge(
    "sms_outbox_failed",
    "Outbound messages given up on for good (retried until SEND_RETRY_HORIZON_HOURS, or a "
    "permanent error); the admin's outbound queue lists them.",
    registry=REGISTRY,
)
USERS = Gauge("sms_users", "Registered users by status.", ["status"], registry=REGISTRY)
DATABASE_UP = Gauge(
    "sms_metrics_database_up",
    "1 when the last scrape could read the database gauges, else 0.",
    registry=REGISTRY,
)

# Through a bare table so this module does not depend on the outbox model's other columns.
_OUTBOX = table("outbox", column("state"))
INBOX_WAITING = ("received", "processing")
OUTBOX_WAITING = ("pending", "sending")
USER_STATUSES = ("active", "opted_out", "blocked")


# --- helpers for the pipeline (call them where the event happens) ---------------------------


def record_webhook(outcome: str) -> None:
    """One inbound webhook finished with `outcome` (use the inbox outcome or a short reason)."""
    WEBHOOKS.labels(outcome=_label(outcome)).inc()


def record_send(status: str) -> None:
    """One REST send attempt (or status callback) ended with `status`."""
    OUTBOUND_SENDS.labels(status=_label(status)).inc()


def record_opt_out(source: str) -> None:
    OPT_OUTS.labels(source=_label(source)).inc()


def record_opt_in(source: str) -> None:
    OPT_INS.labels(source=_label(source)).inc()


def record_rate_limit_hit(limit: str) -> None:
    RATE_LIMIT_HITS.labels(limit=_label(limit)).inc()


def observe_http(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    HTTP_LATENCY.labels(route=route).observe(seconds)


def _label(value: str, limit: int = 48) -> str:
    """Label values come from code, but cap them so a bug cannot explode cardinality."""
    return (value or "unknown")[:limit]


# --- scrape-time gauges from the database -----------------------------------------------------


async def refresh_database_gauges(session: AsyncSession) -> None:
    """Set queue depths and user counts from the tables (a few indexed COUNTs)."""

    async def counts(column_: Any, where: Any = None) -> dict[str, int]:
        query = select(column_, func.count()).group_by(column_)
        if where is not None:
            query = query.where(where)
        return {str(key): int(count) for key, count in (await session.execute(query)).all()}

    inbox = await counts(InboxItem.state, InboxItem.state.in_(INBOX_WAITING))
    outbox = await counts(_OUTBOX.c.state, _OUTBOX.c.state.in_((*OUTBOX_WAITING, "failed")))
    users = await counts(User.status)
    for state in INBOX_WAITING:
        QUEUE_DEPTH.labels(queue="inbox", state=state).set(inbox.get(state, 0))
    for state in OUTBOX_WAITING:
        QUEUE_DEPTH.labels(queue="outbox", state=state).set(outbox.get(state, 0))
    OUTBOX_FAILED.set(outbox.get("failed", 0))
    for status in {*USER_STATUSES, *users}:
        USERS.labels(status=_label(status)).set(users.get(status, 0))
