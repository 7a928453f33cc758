"""Webhook acks under load when the LLM is slow: the real service vs a bare endpoint.

50 concurrent senders (one registered user each) post signed webhooks to a running
`sms-assistant serve` whose LLM (a fake OpenAI-compatible server) takes 20 s per call, and to a
bare FastAPI endpoint that parses the same form and returns empty TwiML. Prints ack p50/p99,
throughput, and how many acks came later than Twilio's 15 s limit (goal: 0).

The service acks at REPLY_DEADLINE_SECONDS by design when the turn is slower (the reply follows
by REST), so its ack latency is the deadline; the second service run uses a short deadline to
show the pipeline's own overhead against the bare endpoint (goal: p99 <= 2x bare).

The bare endpoint runs from a file of its own that imports nothing of ours. Each repeat runs
the bare endpoint, the 0.05 s service and the 10 s service, alternated.

    .venv/bin/python -m bench.webhook_load [--senders 50] [--texts 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from api.signature import sign
from bench.common import Goal, Series, alternate, bench_settings
from bench.common import report as report_results
from stores import users
from stores.clock import SystemClock
from stores.db import Database
from stores.migrate import upgrade
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.server import free_port
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import twilio_form
from tests.pipeline.processes import Process, base_env, start_server, wait_until

BARE_APP = """
from fastapi import FastAPI, Request, Response

bare_app = FastAPI()


@bare_app.post("/twilio/sms")
async def bare_webhook(request: Request) -> Response:
    form = await request.form()
    _ = (form.get("From"), form.get("Body"), form.get("MessageSid"))
    return Response(
        '<?xml version="1.0" encoding="UTF-8"?><Response />', media_type="application/xml"
    )
"""


def phone(i: int) -> str:
    return f"+1415555{i:04d}"


async def register(url: str, senders: int) -> None:
    database = Database(url)
    async with database.session() as session:
        for i in range(senders):
            await users.add_user(
                session, phone=phone(i), name=f"U{i}", timezone="UTC", clock=SystemClock()
            )
    await database.dispose()


async def load(url: str, senders: int, texts: int) -> tuple[list[float], float]:
    """Every sender posts `texts` texts one after another; all senders at once."""
    acks: list[float] = []

    async def sender(client: httpx.AsyncClient, i: int) -> None:
        for k in range(texts):
            params = twilio_form(f"question {k} from {i}", phone(i))
            headers = {
                "X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", params, AUTH_TOKEN)
            }
            started = time.monotonic()
            response = await client.post(url + "/twilio/sms", data=dict(params), headers=headers)
            acks.append(time.monotonic() - started)
            response.raise_for_status()

    limits = httpx.Limits(max_connections=senders + 5)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.monotonic()
        await asyncio.gather(*(sender(client, i) for i in range(senders)))
        elapsed = time.monotonic() - started
    return acks, elapsed


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run_service(deadline: str, senders: int, texts: int, llm_url: str, twilio_url: str):
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp}/data/assistant.db"
    upgrade(url)
    bench_settings(url)  # this process encrypts with the key the server gets
    asyncio.run(register(url, senders))
    env = base_env(
        url,
        twilio_url,
        OPENAI_BASE_URL=llm_url,
        OPENAI_API_KEY="sk-bench",
        LLM_MODEL="fake",
        REPLY_DEADLINE_SECONDS=deadline,
        LOG_LEVEL="WARNING",
        RATE_LIMIT_PER_MINUTE="1000",
    )
    server, base = start_server(env, tmp, tmp / "server.log")
    try:
        return asyncio.run(load(base, senders, texts))
    finally:
        server.stop()


def run_bare(senders: int, texts: int):
    tmp = Path(tempfile.mkdtemp())
    (tmp / "bare_webhook.py").write_text(BARE_APP)
    port = free_port()
    args = [
        "-m",
        "uvicorn",
        "--app-dir",
        str(tmp),
        "bare_webhook:bare_app",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    bare = Process(args, {"PATH": "/usr/bin:/bin"}, tmp, tmp / "bare.log", program=sys.executable)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _up(url), 30, "the bare endpoint")
        return asyncio.run(load(url, senders, texts))
    finally:
        bare.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--texts", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bare_p99 = Series("bare FastAPI endpoint: ack p99", "ms")
    quick_p99 = Series("service, deadline 0.05 s: ack p99", "ms")
    quick_p50 = Series("service, deadline 0.05 s: ack p50", "ms")
    slow_p99 = Series("service, deadline 10 s (LLM 20 s): ack p99", "ms")
    late = Series("acks later than Twilio's 15 s (deadline 10 s)", "")

    llm, twilio = FakeOpenAI(delay_seconds=20.0), FakeTwilio()
    with llm.serve() as llm_server, twilio.serve() as twilio_server:
        llm_url = llm_server.url + "/v1"

        def bare() -> None:
            acks, _ = run_bare(args.senders, args.texts)
            bare_p99.values.append(pct(acks, 99) * 1000)

        def quick() -> None:
            acks, _ = run_service("0.05", args.senders, args.texts, llm_url, twilio_server.url)
            quick_p99.values.append(pct(acks, 99) * 1000)
            quick_p50.values.append(pct(acks, 50) * 1000)

        def slow() -> None:
            acks, _ = run_service("10", args.senders, args.texts, llm_url, twilio_server.url)
            slow_p99.values.append(pct(acks, 99) * 1000)
            late.values.append(float(sum(1 for a in acks if a > 15)))

        alternate(args.repeats, [bare, quick, slow])
    ratio = quick_p99.median / bare_p99.median
    return report_results(
        "webhook_load",
        f"Webhook acks: {args.senders} concurrent senders x {args.texts} texts, fake LLM 20 s, "
        f"{args.repeats} alternated repeats",
        [bare_p99, quick_p50, quick_p99, slow_p99, late],
        [
            Goal("ack p99 (deadline 0.05 s) <= 2x bare", ratio <= 2, f"{ratio:.1f}x"),
            Goal(
                "no ack later than 15 s (deadline 10 s)",
                max(late.values) == 0,
                f"{max(late.values):.0f} late",
            ),
        ],
    )


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/docs", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    sys.exit(main())
