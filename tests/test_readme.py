"""The README is true: its commands that can run offline run as written, and every option its
CLI reference names exists on every command of that line.

Commands run in order, as a newcomer would type them, through the real `sms-assistant` in a
fresh directory (no `migrate` first: the database is created on first use). Those that need a
running server, a Postgres server or the network are listed in NEEDS_A_SERVER and skipped here:
the API and pipeline tests cover them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.app import app
from tests.cli.test_cli import cli_env
from tests.documents import LEASE_LINES, PACKING_MD, make_pdf

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
CLI = Path(sys.executable).with_name("sms-assistant")
NEEDS_A_SERVER = {"serve", "simulate", "worker"}
"""sms-assistant subcommands that need a running server (or run one until stopped)."""
NOT_OFFLINE = {"make", "curl", "cloudflared", "ngrok", "python3", "docker"}
"""Programs whose commands need the network, a built venv or a container runtime."""


def blocks(language: str) -> list[str]:
    """The fenced code blocks in `language` ("" for plain fences), in order."""
    found: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for line in README.splitlines():
        fence = re.fullmatch(r" *```(\w*) *", line)
        if fence and current is None:
            current = []
            found.append((fence.group(1), current))
        elif fence:
            current = None
        elif current is not None:
            current.append(line)
    return ["\n".join(lines) + "\n" for lang, lines in found if lang == language]


def commands(block: str) -> list[list[str]]:
    """Each command of a shell block as words (continuations joined, comments dropped)."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [words for line in joined.splitlines() if (words := shlex.split(line, comments=True))]


@pytest.fixture
def newcomer(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A fresh directory with the files the README's examples name, and a clean environment."""
    home = tmp_path / "home"
    (home / "docs" / "building").mkdir(parents=True)
    (home / "docs" / "lease.pdf").write_bytes(make_pdf(LEASE_LINES))
    (home / "docs" / "building" / "rules.md").write_text("# House rules\nQuiet after 22:00.\n")
    work = tmp_path / "clone"
    work.mkdir()
    (work / "packing-list.md").write_text(PACKING_MD)
    env = cli_env(f"sqlite:///{work / 'data' / 'assistant.db'}", HOME=str(home))
    env.pop("DATABASE_URL")  # the shipped default, sqlite:///./data/assistant.db
    return work, env


@pytest.mark.slow
def test_the_readmes_offline_commands_run_as_written(newcomer) -> None:
    work, env = newcomer
    ran: list[str] = []
    for block in blocks("bash"):
        for words in commands(block):
            program = words[0]
            if "=" in program or program in NOT_OFFLINE:
                continue  # VAR=value commands point at a Postgres server; see NOT_OFFLINE
            if program.endswith("python") and words[1].startswith("bench/"):
                # A benchmark or the LLM smoke test: it needs a model server; it exists.
                assert (Path(__file__).parents[1] / words[1]).is_file(), words
                continue
            words = [
                w.replace("~/", env["HOME"] + "/", 1) if w.startswith("~/") else w for w in words
            ]
            if program == "rm":
                assert all(not w.startswith(("/", "..")) for w in words[1:]), words
                (work / "data").mkdir(exist_ok=True)
                result = subprocess.run(
                    words, cwd=work, capture_output=True, text=True, check=False
                )
            else:
                assert program.endswith("sms-assistant"), f"unexpected command in README: {words}"
                if words[1] in NEEDS_A_SERVER:
                    continue
                result = subprocess.run(
                    [str(CLI), *words[1:]],
                    cwd=work,
                    env=env,
                    input="help\n/quit\n" if words[1] == "chat" else "",
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
            shown = " ".join(words)
            assert result.returncode == 0, f"`{shown}` failed:\n{result.stdout}{result.stderr}"
            assert "Traceback" not in result.stderr and "No such option" not in result.stderr
            ran.append(shown)
    assert any(" chat " in f" {c} " for c in ran) and any("kb search" in c for c in ran), ran
    assert any(c.startswith("rm ") for c in ran), ran
    # After `rm -rf data/`, the next command starts from an empty database again.
    listed = subprocess.run(
        [str(CLI), "users", "list"], cwd=work, env=env, capture_output=True, text=True, check=False
    )
    assert listed.returncode == 0 and "no users yet" in listed.stdout, listed.stderr


def test_the_studio_input_shown_is_what_the_graph_takes() -> None:
    [shown] = [json.loads(b) for b in blocks("json")]
    from graph.graph import graph

    [message] = shown["messages"]
    assert message["role"] == "human" and message["content"]
    assert set(shown) <= set(graph.get_input_jsonschema()["properties"])


def cli_reference() -> list[str]:
    [block] = [b for b in blocks("") if b.lstrip().startswith("sms-assistant ")]
    return [line for line in block.splitlines() if line.startswith("sms-assistant ")]


@pytest.mark.parametrize("line", cli_reference(), ids=lambda line: line.split("  ")[0])
def test_every_option_in_the_cli_reference_exists(line: str) -> None:
    usage = re.split(r"\s{2,}", line)[0].split()[1:]
    words = []
    for word in usage:
        if not re.fullmatch(r"[a-z][a-z|-]*", word):
            break
        words.append(word.split("|"))
    variants: list[list[str]] = [[]]
    for choices in words:
        variants = [[*v, c] for v in variants for c in choices]
    options = set(re.findall(r"--[a-z][a-z-]*", line))
    runner = CliRunner()
    for variant in variants:
        result = runner.invoke(app, [*variant, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
        assert result.exit_code == 0, f"sms-assistant {' '.join(variant)}: {result.output}"
        missing = {o for o in options if o not in result.output}
        assert not missing, f"README says `sms-assistant {' '.join(variant)}` takes {missing}"


def test_the_readme_names_no_setting_that_does_not_exist() -> None:
    from stores.settings import Settings

    known = {name.upper() for name in Settings.model_fields}
    known |= {"LANGSMITH_TRACING", "LANGSMITH_API_KEY", "LANGSMITH_PROJECT", "TEST_POSTGRES_URL"}
    known |= {"PYTEST_ARGS", "ADMIN_TOKEN", "ENV"}
    known |= {"INTENTS", "USAGE"}  # Python names the README points at (adding an intent)
    known |= {"OLLAMA_CONTEXT_LENGTH"}  # Ollama's own setting, in the LLM servers table
    named = set(re.findall(r"`([A-Z][A-Z0-9_]{2,})(?:=[^`]*)?`", README))
    assert named <= known, named - known


assert os.sep == "/"  # the README's commands are POSIX shell
