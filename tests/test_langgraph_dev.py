"""The official `langgraph dev` server (what LangGraph Studio talks to) runs the graph from
langgraph.json: offline planner, a temp SQLite database that nobody migrated (the first run
creates and migrates it, as on a fresh clone), every tool once, and the schemas Studio reads.

The server runs from a temporary directory with a copy of langgraph.json whose paths point back
at the repo. That keeps its `.langgraph_api/` state out of the developer's Studio sessions. It
also keeps the developer's `.env` (which may configure an LLM) away from the test, and shows
that a langgraph.json naming `.env` works where that file does not exist. `--no-reload`
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

from tests.conftest import TEST_ENCRYPTION_KEY
from tools import TOOLS_BY_NAME

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
    # "env": ".env" stays relative: the server reads it from the temp dir, where there is none.
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
    database = workdir / "data" / "assistant.db"  # not created: the first run must do it
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


def run_and_wait(
    client: httpx.Client,
    server: Server,
    thread_id: str,
    text: str = "",
    *,
    command: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One run: a new human text, or (command) the resume value for a paused run."""
    body: dict[str, Any] = {"assistant_id": ASSISTANT}
    if command is not None:
        body["command"] = {"resume": command}
    else:
        body["input"] = {"messages": [{"role": "human", "content": text}]}
    response = client.post(f"/threads/{thread_id}/runs/wait", json=body)
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


def tool_calls(values: dict[str, Any]) -> list[str]:
    """The names of the tools this turn called (after its human message; older turns may have
    been folded into the summary)."""
    messages = values["messages"]
    last_human = max(i for i, message in enumerate(messages) if message["type"] == "human")
    return [
        call["name"]
        for message in messages[last_human:]
        if message["type"] == "ai"
        for call in message.get("tool_calls") or []
    ]


EVERY_TOOL = [
    ("help", "show_help", "note"),
    ("what time is it in Tokyo?", "time_in", "in Tokyo"),
    ("timezone Europe/Paris", "set_timezone", "Timezone set to Europe/Paris"),
    ("I'm in Tokyo now", "set_timezone", "Timezone set to Asia/Tokyo"),
    ("remind me to stretch in 10 minutes", "set_reminder", "stretch"),
    ("every Monday at 9 remind me to water the plants", "set_reminder", "water the plants"),
    ("what are my reminders?", "list_reminders", "Your reminders (2)"),
    ("cancel the plants one", "cancel_reminder", "Cancelled: water the plants"),
    ("note: gate code 4412", "save_note", "Saved note #1"),
    ("notes", "list_notes", "gate code 4412"),
    ("find gate", "find_notes", "gate code 4412"),
    ("what was the gate code?", "search_notes", "4412"),
    ("delete that note", "delete_that_note", ""),
    ("note: bike lock 2231", "save_note", "Saved note"),
    ("delete note 2", "delete_note", ""),
    ("remember that Anna's birthday is June 3", "remember", "June 3"),
    ("when is Anna's birthday?", "recall", "June 3"),
    ("what do you know about me", "list_memories", "June 3"),
    ("forget Anna's birthday", "forget", ""),
    ("what does my lease say about rent?", "search_documents", ""),
    ("add milk to my list", "add_todo", "milk"),
    ("what's on my list", "list_todos", "milk"),
    ("done milk", "complete_todo", "milk"),
    ("clear done", "clear_done_todos", ""),
    ("add eggs to my list", "add_todo", "eggs"),
    ("remove eggs from my list", "remove_todo", "eggs"),
    ("call me Sam", "set_name", "Sam"),
    ("quiet hours 22-7", "set_quiet_hours", "22:00-07:00"),
    ("whoami", "whoami", "Sam"),
    ("delete all my notes", "delete_all_notes", "YES"),
    ("forget everything", "forget_everything", "YES"),
    ("delete my account", "delete_account", "YES"),
]


@pytest.mark.slow
def test_studio_runs_every_tool_from_a_fresh_database(langgraph_server: Server) -> None:
    """What a newcomer tries first, on a database nobody migrated: every tool, once."""
    server = langgraph_server
    called: list[str] = []
    with httpx.Client(base_url=server.base_url, timeout=RUN_TIMEOUT_S) as client:
        found = client.post("/assistants/search", json={"graph_id": ASSISTANT})
        [assistant] = found.json()
        schemas = client.get(f"/assistants/{assistant['assistant_id']}/schemas")
        assert schemas.status_code == 200, schemas.text + "\n" + server.log_tail()
        context = schemas.json()["context_schema"]
        assert "phone" in context["properties"]  # what Studio may set; the seams are not there
        assert not {"clock", "database", "chat_model"} & set(context["properties"])

        thread_id = client.post("/threads", json={}).json()["thread_id"]
        for text, tool, expected in EVERY_TOOL:
            values = run_and_wait(client, server, thread_id, text)
            tools = tool_calls(values)
            assert tool in tools, f"{text!r} called {tools}, not {tool}: {values['reply']!r}"
            reply = values["reply"]
            if "__interrupt__" in values:  # asks first: Studio shows the question and resumes
                [paused] = values["__interrupt__"]
                reply = paused["value"]["question"]
                answer = f"YES {paused['value']['code']}" if tool == "delete_all_notes" else "no"
                resumed = run_and_wait(
                    client, server, thread_id, command={"text": answer, "asked": paused["value"]}
                )
                assert ("Deleted all your notes" if answer != "no" else "Cancelled") in (
                    resumed["reply"]
                ), resumed["reply"]
            assert expected in reply, f"{text!r} -> {reply!r}"
            assert "internal error" not in reply.lower()
            called += tools
    assert set(called) == set(TOOLS_BY_NAME), set(TOOLS_BY_NAME) - set(called)
    assert server.database.is_file()  # created and migrated by the first run, under DATABASE_URL
    assert "BlockingError" not in server.log.read_text(errors="replace")


def test_langgraph_json_reads_the_env_file_and_names_real_graphs() -> None:
    """`langgraph dev` loads the "env" file into the server's environment (tracing switches
    such as LANGSMITH_* are read from there, not through Settings); a missing file is no error
    (the Studio tests above run without one). Its values win over the shell's: README says so."""
    config = load_config()
    assert config.get("env") == ".env"
    for spec in config["graphs"].values():
        path = spec.partition(":")[0]
        assert (REPO / path).is_file(), f"langgraph.json graph file missing: {path}"
