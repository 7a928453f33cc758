"""The official `langgraph dev` server (what LangGraph Studio talks to) runs the graph from
langgraph.json: two turns on one thread, offline planner, a migrated temp SQLite database.

The server runs from a temporary directory with a copy of langgraph.json whose paths point back
at the repo. That keeps its `.langgraph_api/` state out of the developer's Studio sessions. It
also keeps the developer's `.env` (which may configure an LLM) away from the test. `--no-reload`
stops edits elsewhere in the tree from restarting the server mid-test. The server raises on
blocking calls inside async nodes (blockbuster), so this test also guards against those.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from stores.migrate import upgrade
from tests.conftest import TEST_ENCRYPTION_KEY

REPO = Path(__file__).resolve().parent.parent
ASSISTANT = "sms_assistant"
START_TIMEOUT_S = 90.0
RUN_TIMEOUT_S = 60.0
# Settings and switches that must not reach the server from the developer's shell.
SCRUBBED_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "LLM_MODEL",
    "DATABASE_URL",
    "LANGSMITH_TRACING",
    "LANGCHAIN_TRACING_V2",
    "LANGSMITH_API_KEY",
    "LANGCHAIN_API_KEY",
)


def langgraph_binary() -> Path | None:
    """The venv's `langgraph` (beside this interpreter, or the repo's .venv), else PATH."""
    for candidate in (Path(sys.executable).parent / "langgraph", REPO / ".venv/bin/langgraph"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("langgraph")
    return Path(found) if found else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_config() -> dict[str, Any]:
    return dict(json.loads((REPO / "langgraph.json").read_text()))


def config_for(directory: Path) -> Path:
    """langgraph.json with its dependencies and graph files made absolute (back into the repo)."""
    config = load_config()
    config["dependencies"] = [
        str((REPO / dep).resolve()) if dep.startswith(".") else dep
        for dep in config.get("dependencies", [])
    ]
    graphs = {}
    for name, spec in config["graphs"].items():
        path, _, attr = spec.partition(":")
        graphs[name] = f"{(REPO / path).resolve()}:{attr}"
    config["graphs"] = graphs
    # A file-valued "env" would be read relative to the temp dir; never load the developer's
    # .env here (test_langgraph_json_leaves_settings_to_the_environment covers the real file).
    if isinstance(config.get("env"), str):
        del config["env"]
    target = directory / "langgraph.json"
    target.write_text(json.dumps(config, indent=2))
    return target


@dataclass
class Server:
    base_url: str
    log: Path
    database: Path

    def log_tail(self, lines: int = 80) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        text = re.sub(r"\x1b\[[0-9;]*m", "", text)
        return "\n".join(text.splitlines()[-lines:])


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's whole process group, then SIGKILL whatever is left."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=15)


@pytest.fixture
def langgraph_server(tmp_path: Path) -> Iterator[Server]:
    binary = langgraph_binary()
    if binary is None:
        pytest.skip("the `langgraph` CLI is not installed (pip install -e '.[dev]' provides it)")

    workdir = tmp_path / "studio"
    workdir.mkdir()
    database = workdir / "data" / "assistant.db"
    upgrade(f"sqlite:///{database}")
    config = config_for(workdir)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(
        LANGGRAPH_CLI_NO_ANALYTICS="1",
        LANGGRAPH_NO_VERSION_CHECK="true",
        # Relative, like the shipped default `sqlite:///./data/assistant.db`, so a run has to
        # resolve it against the server's cwd (the temp dir) without blocking the event loop.
        DATABASE_URL="sqlite:///./data/assistant.db",
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "langgraph-dev.log"
    server = Server(base_url=f"http://127.0.0.1:{port}", log=log, database=database)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(binary),
                "dev",
                "--no-browser",
                "--no-reload",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--config",
                str(config),
            ],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed whole in teardown
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"langgraph dev exited with code {process.returncode} before it was ready:\n"
                    + server.log_tail()
                )
            try:
                if httpx.get(f"{server.base_url}/ok", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"langgraph dev not ready after {START_TIMEOUT_S:.0f}s:\n" + server.log_tail()
                )
            time.sleep(0.25)
        yield server
    finally:
        stop(process)


def run_and_wait(client: httpx.Client, server: Server, thread_id: str, text: str) -> dict[str, Any]:
    response = client.post(
        f"/threads/{thread_id}/runs/wait",
        json={
            "assistant_id": ASSISTANT,
            "input": {"messages": [{"role": "human", "content": text}]},
        },
    )
    assert response.status_code == 200, f"{response.status_code} {response.text}\n" + (
        server.log_tail()
    )
    values: dict[str, Any] = response.json()
    assert "__error__" not in values, f"run failed: {values['__error__']}\n" + server.log_tail()
    return values


@pytest.mark.slow
def test_studio_server_runs_two_turns_on_one_thread(langgraph_server: Server) -> None:
    server = langgraph_server
    with httpx.Client(base_url=server.base_url, timeout=RUN_TIMEOUT_S) as client:
        created = client.post("/threads", json={})
        assert created.status_code == 200, created.text
        thread_id = created.json()["thread_id"]

        first = run_and_wait(client, server, thread_id, "note: gate code 4412")
        assert first["reply"] == "Saved note #1: gate code 4412"
        assert first["outcome"] == "ok"
        assert first["user"]["phone"] == "+15005550006"  # the Studio default user

        # Only Studio's checkpointer holds the first turn: the second sees it on the same thread.
        second = run_and_wait(client, server, thread_id, "find gate")
        assert second["reply"] == "Notes matching 'gate':\n#1 gate code 4412"
        humans = [m["content"] for m in second["messages"] if m["type"] == "human"]
        assert humans == ["note: gate code 4412", "find gate"]

    # The runs used DATABASE_URL (the temp file), not ./data/assistant.db in the repo.
    with sqlite3.connect(server.database) as connection:
        notes = connection.execute("SELECT text FROM notes").fetchall()
        interactions = connection.execute("SELECT planner, outcome FROM interactions").fetchall()
    # Encrypted at rest, with the ENCRYPTION_KEY the server inherited from this test.
    [(stored,)] = notes
    assert "gate" not in stored
    assert Fernet(TEST_ENCRYPTION_KEY).decrypt(stored.encode()).decode() == "gate code 4412"
    assert interactions == [("offline", "ok"), ("offline", "ok")]


def test_langgraph_json_leaves_settings_to_the_environment() -> None:
    """`langgraph dev` copies an "env" file's values over the process environment.

    A file-valued "env" therefore overrides the shell. `.env.example` would pin DATABASE_URL to
    ./data/assistant.db even when .env or the shell names another database. Settings already
    reads `.env` itself, with the environment taking precedence, exactly as the service does.
    """
    config = load_config()
    assert not isinstance(config.get("env"), str), (
        "langgraph.json 'env' must not name a file: langgraph dev would let it override the "
        "environment (DATABASE_URL, OPENAI_*); stores.settings.Settings already reads .env"
    )
    for spec in config["graphs"].values():
        path = spec.partition(":")[0]
        assert (REPO / path).is_file(), f"langgraph.json graph file missing: {path}"
