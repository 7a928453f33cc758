"""LLM smoke test: fixed, realistic conversations through the real webhook path against a real
OpenAI-compatible server (or the strict fake), one line per turn.

Each conversation has its own registered user and runs the whole service in process: signed
Twilio webhook -> inbox -> worker -> graph with the configured model -> TwiML (or, past the reply
deadline, the outbox and a local fake of Twilio's REST API). Per turn it prints the latency the
texter sees, the tools the model called, the effect checked in the database (a reminder, a
note, a memory, a list item) and pass/fail. A turn passes when the reply is non-empty, holds no
raw model output (tool markup, `functions.x`, JSON, HTML entities, Markdown tables), contains
what it must (e.g. the saved code when asked for the notes) and the effect is in the database.

    .venv/bin/python bench/llm_smoke.py --base-url http://127.0.0.1:8080/v1 --model qwen2.5-1.5b
    .venv/bin/python bench/llm_smoke.py --base-url https://api.openai.com/v1 --model gpt-4o-mini
    .venv/bin/python bench/llm_smoke.py --fake openai       # the strict fake (no model needed)

It uses a temporary directory, never reads `.env`, and exits 1 when fewer than --min-pass of
the turns pass (default 80%).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
for _name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2"):
    os.environ.pop(_name, None)

import httpx  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import select  # noqa: E402

from api.main import create_app  # noqa: E402
from api.signature import sign  # noqa: E402
from stores import kb, users  # noqa: E402
from stores.clock import SystemClock  # noqa: E402
from stores.db import Database  # noqa: E402
from stores.embeddings import TextEmbeddings, shared_embeddings  # noqa: E402
from stores.migrate import upgrade  # noqa: E402
from stores.models import Interaction, Memory, Note, Reminder, Todo  # noqa: E402
from stores.settings import Settings  # noqa: E402

AUTH_TOKEN = "smoke-test-auth-token-0123456789"
PUBLIC_URL = "https://smoke.example.com"
FROM_NUMBER = "+15005550006"
RAW_OUTPUT = re.compile(
    r"<tool_call>|</?function|functions\.\w|^\s*(\{\s*\"|\[\s*[{\"])|&#\d+;|&quot;|&lt;|\|\s*-{3}|<\|",
    re.MULTILINE,
)
DOCUMENT = (
    "Elm Court building guide. Guest wifi: the network is ElmCourt-Guest and the password is "
    "swordfish42. Bins go out on Tuesday evenings."
)

Effect = Callable[[Any, int], Awaitable[bool]]


def _stored(model: Any, words: str) -> Effect:
    async def check(session: Any, user_id: int) -> bool:
        rows = (await session.execute(select(model).where(model.user_id == user_id))).scalars()
        return any(words.lower() in str(row.text).lower() for row in rows)

    check.__name__ = f"{model.__tablename__} has '{words}'"
    return check


@dataclass(frozen=True)
class Turn:
    text: str
    expect: str = ""
    """A word the reply must contain (case-insensitive); "" for any honest reply."""
    effect: Effect | None = None


CONVERSATIONS: dict[str, list[Turn]] = {
    "reminders": [
        Turn("remind me to call mom tomorrow at 5pm", "call mom", _stored(Reminder, "call mom")),
        Turn("thanks!"),
    ],
    "notes": [
        Turn("note: the gate code is 4412", "4412", _stored(Note, "4412")),
        Turn("what are my notes?", "4412"),
    ],
    "memory": [
        Turn("remember that my sister Priya lives in Leeds", "Priya", _stored(Memory, "Priya")),
        Turn("what do you know about me?", "Priya"),
    ],
    "list": [
        Turn("add oat milk to my list", "oat milk", _stored(Todo, "oat milk")),
        Turn("what's on my list?", "oat milk"),
    ],
    "knowledge base": [Turn("what's the guest wifi password?", "swordfish42")],
    "small talk": [Turn("hi! how are you today?"), Turn("thanks, that's all for now")],
}


@dataclass
class Result:
    conversation: str
    text: str
    seconds: float
    reply: str
    tools: list[str]
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def _settings(args: argparse.Namespace, database_url: str, twilio_url: str) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_account_sid": "AC" + "0" * 32,
        "twilio_api_base_url": twilio_url,
        "twilio_from_number": FROM_NUMBER,
        "public_base_url": PUBLIC_URL,
        "serve_embedded_worker": "on",
        "worker_poll_seconds": 0.05,
        "encryption_key": Fernet.generate_key().decode(),
        "openai_base_url": args.base_url,
        "openai_api_key": args.api_key or os.environ.get("OPENAI_API_KEY") or "unused",
        "llm_model": args.model,
        "llm_token_limit_field": args.token_field,
        "llm_relevant_tools_only": args.relevant_tools_only,
        "turn_budget_seconds": args.turn_budget,
        "llm_timeout_seconds": min(args.turn_budget, 60.0),
        "rate_limit_per_minute": 1000,
    }
    return Settings(_env_file=None, **values)


async def _say(
    client: httpx.AsyncClient, twilio: Any, phone: str, text: str, wait: float
) -> tuple[str, str]:
    sid = "SM" + os.urandom(16).hex()
    params = [
        ("MessageSid", sid),
        ("AccountSid", "AC" + "0" * 32),
        ("From", phone),
        ("To", FROM_NUMBER),
        ("Body", text),
        ("NumMedia", "0"),
    ]
    headers = {
        "X-Twilio-Signature": sign(PUBLIC_URL + "/twilio/sms", params, AUTH_TOKEN),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    before = len(twilio.bodies_to(phone))
    response = await client.post(
        "/twilio/sms", content=str(httpx.QueryParams(params)), headers=headers
    )
    inline = [m.text or "" for m in ET.fromstring(response.text).iter("Message")]
    if inline:
        return inline[0], sid
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        sent = twilio.bodies_to(phone)
        if len(sent) > before:
            return sent[-1], sid
        await asyncio.sleep(0.05)
    return "", sid


async def run(
    args: argparse.Namespace, base_url: str, twilio: Any, twilio_url: str
) -> list[Result]:
    args.base_url = base_url
    workdir = Path(tempfile.mkdtemp(prefix="llm-smoke-"))
    database_url = f"sqlite:///{workdir / 'assistant.db'}"
    await asyncio.to_thread(upgrade, database_url)
    settings = _settings(args, database_url, twilio_url)
    embeddings: TextEmbeddings = shared_embeddings(settings)
    if args.hash_embeddings:
        from tests.fake_embeddings import HashEmbeddings

        embeddings = HashEmbeddings()
    clock = SystemClock()
    database = Database(database_url)
    app = create_app(settings, clock=clock, embeddings=embeddings)
    results: list[Result] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://smoke") as client:
            for number, (name, turns) in enumerate(CONVERSATIONS.items()):
                phone = f"+1415555{number:04d}"
                async with database.session() as session:
                    user = await users.add_user(
                        session, phone=phone, name="Sam", timezone="Europe/London", clock=clock
                    )
                if name == "knowledge base":
                    await kb.ingest(
                        database,
                        embeddings,
                        user_id=user.id,
                        source="building-guide.txt",
                        location="building-guide.txt",
                        data=DOCUMENT.encode(),
                        content_type="text/plain",
                        clock=clock,
                    )
                for turn in turns:
                    results.append(
                        await _turn(client, twilio, database, name, phone, user.id, turn, args)
                    )
                    _print(results[-1])
    await database.dispose()
    return results


async def _turn(
    client: httpx.AsyncClient,
    twilio: Any,
    database: Database,
    name: str,
    phone: str,
    user_id: int,
    turn: Turn,
    args: argparse.Namespace,
) -> Result:
    started = time.monotonic()
    reply, sid = await _say(client, twilio, phone, turn.text, args.turn_budget + 20)
    seconds = time.monotonic() - started
    async with database.session() as session:
        run_row = (
            await session.execute(select(Interaction).where(Interaction.message_sid == sid))
        ).scalar_one_or_none()
        effect_ok = await turn.effect(session, user_id) if turn.effect else True
    result = Result(name, turn.text, seconds, reply, list(run_row.tools) if run_row else [])
    if not reply.strip():
        result.problems.append("no reply")
    if RAW_OUTPUT.search(reply):
        result.problems.append("raw model output")
    if turn.expect and turn.expect.lower() not in reply.lower():
        result.problems.append(f"reply lacks '{turn.expect}'")
    if not effect_ok and turn.effect is not None:
        result.problems.append(f"missing: {turn.effect.__name__}")
    if run_row is not None and run_row.outcome not in ("ok",):
        result.problems.append(f"outcome {run_row.outcome}")
    return result


def _print(result: Result) -> None:
    verdict = "pass" if result.passed else "FAIL: " + "; ".join(result.problems)
    tools = ",".join(result.tools) or "-"
    reply = " ".join(result.reply.split())
    reply = reply if len(reply) <= 70 else reply[:67] + "..."
    print(
        f"{result.conversation:<15} {result.seconds * 1000:>7.0f} ms  tools={tools:<24} "
        f"{verdict}\n{'':<15} > {result.text}\n{'':<15} < {reply}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="the server's OpenAI-compatible /v1 URL")
    parser.add_argument("--model", default="fake-model")
    parser.add_argument("--api-key", default=None, help="default: $OPENAI_API_KEY or 'unused'")
    parser.add_argument("--fake", choices=("openai", "llamacpp"), help="run the strict fake")
    parser.add_argument(
        "--token-field", default="auto", choices=("auto", "max_tokens", "max_completion_tokens")
    )
    parser.add_argument("--relevant-tools-only", action="store_true", help="for small models")
    parser.add_argument("--turn-budget", type=float, default=45.0, help="seconds per turn")
    parser.add_argument("--hash-embeddings", action="store_true", help="no embedding model")
    parser.add_argument("--min-pass", type=float, default=0.8)
    args = parser.parse_args()
    if not args.base_url and not args.fake:
        parser.error("give --base-url (and --model), or --fake openai|llamacpp")
    from tests.fakes.twilio_api import FakeTwilio

    with ExitStack() as stack:
        twilio = FakeTwilio()
        twilio_url = stack.enter_context(twilio.serve()).url
        base_url = args.base_url
        if args.fake:
            from tests.fakes.openai_api import FakeOpenAI

            fake = FakeOpenAI(mode=args.fake)
            base_url = stack.enter_context(fake.serve()).url + "/v1"
            if args.fake == "openai" and args.token_field == "auto":
                args.token_field = "max_completion_tokens"  # as api.openai.com gets
        print(
            f"llm smoke: {args.model} at {base_url} on {platform.node()}, "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        results = asyncio.run(run(args, base_url, twilio, twilio_url))
        if args.fake:
            print(f"requests the fake refused: {len(fake.refused)}")
    passed = sum(r.passed for r in results)
    latencies = sorted(r.seconds for r in results)
    median = latencies[len(latencies) // 2] if latencies else 0.0
    share = passed / len(results) if results else 0.0
    print(
        f"\n{passed}/{len(results)} turns passed ({share:.0%}); median {median * 1000:.0f} ms, "
        f"slowest {latencies[-1] * 1000 if latencies else 0:.0f} ms; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    return 0 if share >= args.min_pass else 1


if __name__ == "__main__":
    sys.exit(main())
