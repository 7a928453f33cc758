"""/metrics (Prometheus text), what feeds it, JSON logs with correlation ids, tracing switches."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from langchain_core.messages import AIMessage
from prometheus_client.parser import text_string_to_metric_families

from api.signature import sign
from messaging import metrics
from messaging.logs import CorrelationFilter, JsonFormatter
from messaging.tracing import configure_tracing, tracing_summary
from stores import inbox, outbox
from stores.inbox import InboundSms
from tests.api.conftest import SMS_URL, start_app
from tests.api.test_admin_api import ADMIN_TOKEN, BEARER
from tests.conftest import ANN_PHONE, AUTH_TOKEN, make_settings
from tests.helpers import ScriptedModel, add_user, new_sid, post_signed, turn, twilio_form


@pytest.fixture
async def admin(sqlite_url, clock):
    async for harness in start_app(make_settings(sqlite_url, admin_token=ADMIN_TOKEN), clock):
        yield harness


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text, 0 when absent."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


async def scrape(harness) -> str:
    response = await harness.client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_metrics_need_the_admin_token(admin):
    response = await admin.client.get("/metrics")
    assert response.status_code == 401
    assert "error" in response.json()


async def test_metrics_parse_and_count_webhooks_turns_and_tools(admin):
    await add_user(admin.database, admin.app.state.clock, ANN_PHONE)
    before = await scrape(admin)
    sid = new_sid()
    response = await post_signed(
        admin.client,
        twilio_form("note: call mum", ANN_PHONE, sid),
        token=AUTH_TOKEN,
        signed_url=SMS_URL,
    )
    assert response.status_code == 200
    after = await scrape(admin)
    families = {family.name for family in text_string_to_metric_families(after)}
    assert {"sms_turn_duration_seconds", "sms_http_requests", "sms_queue_depth"} <= families

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("sms_http_requests_total", route="/twilio/sms", status="200") == 1
    assert grew("sms_turn_duration_seconds_count", outcome="ok") == 1
    assert grew("sms_tool_calls_total", tool="save_note", outcome="ok") == 1
    assert sample(after, "sms_users", status="active") == 1
    assert sample(after, "sms_queue_depth", queue="inbox", state="received") == 0
    assert sample(after, "sms_metrics_database_up") == 1


async def test_an_operator_opt_out_is_counted(admin):
    user = await add_user(admin.database, admin.app.state.clock, ANN_PHONE)
    before = sample(await scrape(admin), "sms_opt_outs_total", source="admin")
    await admin.client.patch(
        f"/admin/api/users/{user.id}", json={"status": "opted_out"}, headers=BEARER
    )
    after = await scrape(admin)
    assert sample(after, "sms_opt_outs_total", source="admin") == before + 1
    assert sample(after, "sms_users", status="opted_out") == 1


async def test_queue_depth_counts_waiting_inbox_and_outbox_rows(database, clock):
    async with database.session() as session:
        for _ in range(2):
            await inbox.receive(
                session,
                inbound=InboundSms(
                    message_sid=new_sid(), from_number=ANN_PHONE, channel="sms", body="x"
                ),
                clock=clock,
            )
        await outbox.enqueue(
            session,
            outgoing=outbox.Outgoing(
                idempotency_key="k1",
                kind="reminder",
                to_number=ANN_PHONE,
                channel="sms",
                body="stretch",
            ),
            clock=clock,
        )
        await metrics.refresh_database_gauges(session)
    assert metrics.QUEUE_DEPTH.labels(queue="inbox", state="received")._value.get() == 2
    assert metrics.QUEUE_DEPTH.labels(queue="outbox", state="pending")._value.get() == 1


async def test_llm_tokens_are_counted_from_the_models_usage(database, clock):
    user = await add_user(database, clock, ANN_PHONE)
    model = ScriptedModel(
        script=[
            AIMessage(
                "Hello!",
                usage_metadata={"input_tokens": 120, "output_tokens": 7, "total_tokens": 127},
                response_metadata={"model_name": "scripted-test"},
            )
        ]
    )
    counter = metrics.LLM_TOKENS.labels(model="scripted-test", kind="input")
    before = counter._value.get()
    await turn("hello", user_id=user.id, database=database, clock=clock, chat_model=model)
    assert counter._value.get() == before + 120
    assert metrics.LLM_TOKENS.labels(model="scripted-test", kind="output")._value.get() >= 7


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(CorrelationFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


async def test_json_logs_carry_request_id_and_message_sid_but_no_body_or_number(admin, json_log):
    await add_user(admin.database, admin.app.state.clock, ANN_PHONE)
    sid = new_sid()
    form = twilio_form("note: pin 9876", ANN_PHONE, sid)
    response = await admin.client.post(
        "/twilio/sms",
        content=str(httpx.QueryParams(form)),
        headers={
            "X-Request-ID": "req-abc.123",
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sign(SMS_URL, form, AUTH_TOKEN),
        },
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-abc.123"
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "api.access"]
    assert access, lines
    assert access[-1]["request_id"] == "req-abc.123"
    assert access[-1]["message_sid"] == sid
    assert "/twilio/sms -> 200" in access[-1]["msg"]
    text = json_log.getvalue()
    assert "9876" not in text
    assert ANN_PHONE not in text and ANN_PHONE[1:] not in text


async def test_a_malformed_request_id_is_replaced(admin):
    response = await admin.client.get("/healthz", headers={"X-Request-ID": "bad id\n<script>"})
    assert response.headers["x-request-id"] != "bad id\n<script>"
    assert len(response.headers["x-request-id"]) == 16


def test_tracing_is_off_by_default_and_never_required(tmp_path, monkeypatch, caplog):
    assert configure_tracing(tmp_path / "missing.env") is False
    assert tracing_summary() == "off"
    env = tmp_path / ".env"
    env.write_text("LANGSMITH_TRACING=true\nLANGSMITH_PROJECT=ops\n")
    monkeypatch.delenv("LANGSMITH_PROJECT", raising=False)
    caplog.set_level(logging.WARNING)
    assert configure_tracing(env) is False  # on, but no key: switched off with one warning
    assert "LANGSMITH_API_KEY" in caplog.text
    assert tracing_summary() == "off"


def test_tracing_switches_on_with_the_standard_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    monkeypatch.setenv("LANGSMITH_API_KEY", "lsv2-test-key")
    monkeypatch.setenv("LANGSMITH_PROJECT", "sms-ops")
    assert configure_tracing(None) is True
    assert tracing_summary() == "LangSmith, project sms-ops"
    assert "lsv2" not in tracing_summary()
