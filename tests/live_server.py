"""`sms-assistant serve` as a subprocess on a free loopback port, on a copy of the migrated
template SQLite, with ADMIN_TOKEN and TWILIO_AUTH_TOKEN set. Used by the browser and schema
tests. Its cwd is a temp dir, so the developer's .env is never read."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ADMIN_TOKEN = "live-server-admin-token-0123456789"
AUTH_TOKEN = "live-server-twilio-token-0123456789"
START_TIMEOUT_S = 60.0
SCRUBBED_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "LANGSMITH_TRACING",
    "LANGCHAIN_TRACING_V2",
    "LANGSMITH_API_KEY",
    "DATABASE_URL",
    "PUBLIC_BASE_URL",
    "TWILIO_ACCOUNT_SID",
    "ADMIN_TOKEN",
)


@dataclass
class Server:
    base_url: str
    log: Path
    database: Path
    """The server's SQLite file."""
    pid: int = 0

    def peak_memory_kb(self) -> int:
        """The server process's peak resident memory so far (VmHWM, Linux)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("no VmHWM in /proc (not Linux?)")

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_binary() -> Path:
    candidate = Path(sys.executable).parent / "sms-assistant"
    if not candidate.exists():
        pytest.skip("the sms-assistant console script is not installed (pip install -e .)")
    return candidate


@contextlib.contextmanager
def live_server(
    directory: Path, template_sqlite: Path, extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    workdir = directory / "server"
    (workdir / "data").mkdir(parents=True)
    shutil.copy(template_sqlite, workdir / "data" / "assistant.db")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(
        DATABASE_URL="sqlite:///./data/assistant.db",
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_VALIDATE_SIGNATURE="true",
        ADMIN_TOKEN=ADMIN_TOKEN,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra_env or {})
    log = directory / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(cli_binary()), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(
        base_url=f"http://127.0.0.1:{port}",
        log=log,
        database=workdir / "data" / "assistant.db",
        pid=process.pid,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{server.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(server.base_url + "/readyz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not become ready:\n{server.tail()}")
            time.sleep(0.3)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
