"""The real `sms-assistant` command, run as a subprocess the way a person runs it.

Every command runs in a temporary working directory (so no developer `.env` is read) with an
environment built from scratch: the current one minus every variable named after a setting, plus
what the test needs. The `simulate` tests share one real `sms-assistant serve` process.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from stores.migrate import alembic_config
from stores.settings import Settings
from tests.conftest import ANN_PHONE, AUTH_TOKEN, TEST_ENCRYPTION_KEY, throwaway_postgres_database

CLI = Path(sys.executable).with_name("sms-assistant")
COMMAND_TIMEOUT = 90  # seconds; a CLI command takes about one (more on a busy machine)
SERVER_START_TIMEOUT = 30
_NOT_INHERITED = {name.upper() for name in Settings.model_fields} | {
    "LANGSMITH_TRACING",
    "LANGCHAIN_TRACING_V2",
    "LANGSMITH_API_KEY",
    "FORCE_COLOR",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
}


def cli_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of one command: nothing from the developer's settings leaks in."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in _NOT_INHERITED}
    env.update(NO_COLOR="1", COLUMNS="80", PYTHONUNBUFFERED="1", DATABASE_URL=database_url)
    env.update(ENCRYPTION_KEY=TEST_ENCRYPTION_KEY)
    env.update(settings)
    return env


@dataclass
class Workspace:
    """A working directory and the SQLite file commands run against."""

    cwd: Path
    database_url: str

    @property
    def database_path(self) -> Path:
        return self.cwd / "data" / "assistant.db"

    def run(
        self,
        *args: str,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
        **settings: str,
    ) -> subprocess.CompletedProcess[str]:
        if not CLI.exists():
            pytest.fail(f"{CLI} is missing: install the project (`pip install -e .`)")
        return subprocess.run(
            [str(CLI), *args],
            cwd=self.cwd,
            env=env or cli_env(self.database_url, **settings),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """An empty workspace: the database file does not exist yet."""
    return Workspace(tmp_path, f"sqlite:///{tmp_path / 'data' / 'assistant.db'}")


@pytest.fixture
def migrated(tmp_path: Path, sqlite_url: str) -> Workspace:
    """A workspace whose database is already at head (copied from the session template)."""
    return Workspace(tmp_path, sqlite_url)


def assert_clean_failure(
    result: subprocess.CompletedProcess[str], code: int | None, *needles: str
) -> None:
    """Exit code `code` (or any non-zero one), one `Error:` line on stderr, no traceback."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    if code is None:
        assert result.returncode != 0, output
    else:
        assert result.returncode == code, output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert lines[0].startswith("Error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def user_rows(workspace: Workspace) -> list[tuple[str, str, str]]:
    """The users as stored (names are encrypted: decrypted here with the test key)."""
    from stores.crypto import Keyring

    keyring = Keyring([TEST_ENCRYPTION_KEY.encode()])
    with sqlite3.connect(workspace.database_path) as connection:
        rows = connection.execute("SELECT phone, name, timezone FROM users ORDER BY id").fetchall()
    return [(phone, keyring.decrypt(name), timezone) for phone, name, timezone in rows]


# --- migrate -----------------------------------------------------------------------------------


def all_revisions() -> list[str]:
    """Every migration, oldest first."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def test_migrate_creates_the_schema_then_says_it_is_current(workspace: Workspace) -> None:
    revisions = all_revisions()
    first = workspace.run("migrate")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        *(f"applying {revision} ..." for revision in revisions),
        f"applied {len(revisions)} migration(s); schema is current",
    ]
    assert workspace.database_path.exists()

    second = workspace.run("migrate")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "schema is current"

    listed = workspace.run("users", "list")
    assert listed.returncode == 0, listed.stderr
    assert "no users yet" in listed.stdout


def test_migrate_encrypts_names_stored_before_they_were_encrypted(workspace: Workspace) -> None:
    from alembic import command

    from stores.migrate import alembic_config

    workspace.database_path.parent.mkdir(parents=True)
    command.upgrade(alembic_config(workspace.database_url), "0008")
    with sqlite3.connect(workspace.database_path) as connection:
        connection.execute(
            "INSERT INTO users (phone, name, timezone, status, created_at, updated_at) "
            "VALUES (?, 'Ann Plaintext', 'UTC', 'active', '2026-01-01', '2026-01-01')",
            (ANN_PHONE,),
        )
    result = workspace.run("migrate")
    assert result.returncode == 0, result.stderr
    assert "encrypted 1 stored value(s)" in result.stdout
    with sqlite3.connect(workspace.database_path) as connection:
        [(stored,)] = connection.execute("SELECT name FROM users").fetchall()
    assert stored.startswith("gAAAAA")
    assert user_rows(workspace) == [(ANN_PHONE, "Ann Plaintext", "UTC")]


# --- users -------------------------------------------------------------------------------------


def test_users_add_list_and_remove(migrated: Workspace) -> None:
    added = migrated.run(
        "users", "add", "--phone", ANN_PHONE, "--name", "Ann", "--timezone", "America/New_York"
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == f"added Ann ({ANN_PHONE}, America/New_York)"

    listed = migrated.run("users", "list")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if ANN_PHONE in line)
    assert "Ann" in row
    assert "America/New_York" in row
    assert "active" in row

    again = migrated.run("users", "add", "--phone", ANN_PHONE, "--name", "Ann again")
    assert_clean_failure(again, 1, f"{ANN_PHONE} is already registered")
    assert user_rows(migrated) == [(ANN_PHONE, "Ann", "America/New_York")]

    removed = migrated.run("users", "remove", "--phone", ANN_PHONE)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == f"removed {ANN_PHONE}"
    assert user_rows(migrated) == []

    unknown = migrated.run("users", "remove", "--phone", "+14155550199")
    assert_clean_failure(unknown, None, "+14155550199 is not registered")


def test_a_number_typed_without_country_code_is_read_in_the_default_region(
    migrated: Workspace,
) -> None:
    added = migrated.run(
        "users", "add", "--phone", "(415) 555-0124", "--name", "Bob", DEFAULT_REGION="US"
    )
    assert added.returncode == 0, added.stderr
    assert "+14155550124" in added.stdout
    assert user_rows(migrated) == [("+14155550124", "Bob", "UTC")]

    removed = migrated.run("users", "remove", "--phone", "415-555-0124", DEFAULT_REGION="US")
    assert removed.returncode == 0, removed.stderr
    assert user_rows(migrated) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--phone", "123", "--name", "Ann"], "--phone: '123' has the wrong number of digits"),
        (["--phone", "[/x]", "--name", "Ann"], "--phone: '[/x]' is not a phone number"),
        (
            ["--phone", ANN_PHONE, "--name", "Ann", "--timezone", "Mars/Base"],
            "--timezone: unknown IANA timezone 'Mars/Base'",
        ),
        (
            # A folder of the tz database, not a zone: ZoneInfo raises IsADirectoryError.
            ["--phone", ANN_PHONE, "--name", "Ann", "--timezone", "America"],
            "--timezone: unknown IANA timezone 'America'",
        ),
        (["--phone", ANN_PHONE, "--name", "   "], "--name must be 1 to 100 characters"),
        (["--phone", ANN_PHONE, "--name", "A" * 101], "--name must be 1 to 100 characters"),
    ],
    ids=["short-phone", "markup-phone", "unknown-tz", "tz-folder", "blank", "long"],
)
def test_users_add_rejects_bad_input_with_exit_code_2(
    migrated: Workspace, options: list[str], message: str
) -> None:
    result = migrated.run("users", "add", *options)
    assert_clean_failure(result, 2, message)
    assert result.stdout == ""
    assert user_rows(migrated) == []


def test_names_and_texts_are_printed_as_typed_not_as_rich_markup(migrated: Workspace) -> None:
    name = "[bold]Ann[/bold] [/x] :smile:"
    added = migrated.run("users", "add", "--phone", ANN_PHONE, "--name", name)
    assert added.returncode == 0, added.stdout + added.stderr
    assert added.stdout.strip() == f"added {name} ({ANN_PHONE}, UTC)"

    listed = migrated.run("users", "list")
    assert listed.returncode == 0, listed.stderr
    assert "[bold]Ann[/bold]" in listed.stdout

    note = "see [/docs] and [red]this[/red] :thumbs_up: " + "long " * 20
    chat = migrated.run("chat", "--phone", ANN_PHONE, stdin=f"note: {note}\n")  # then EOF
    assert chat.returncode == 0, chat.stdout + chat.stderr
    assert "Traceback" not in chat.stderr
    assert f"Chatting as {name} ({ANN_PHONE})" in chat.stdout
    # One line, not wrapped at the 80 columns Rich assumes for a pipe.
    assert f"assistant> Saved note #1: {note.strip()}\n" in chat.stdout


# --- a database nobody migrated ----------------------------------------------------------------


def test_the_embedded_database_is_created_and_migrated_by_the_first_command(
    workspace: Workspace,
) -> None:
    """A fresh clone: no `migrate` needed for SQLite, and a note on stderr says what happened."""
    added = workspace.run("users", "add", "--phone", ANN_PHONE, "--name", "Ann")
    assert added.returncode == 0, added.stdout + added.stderr
    assert "migrated the local database" in added.stderr
    assert user_rows(workspace) == [(ANN_PHONE, "Ann", "UTC")]

    listed = workspace.run("users", "list")  # already current: nothing to say
    assert listed.returncode == 0 and "migrated" not in listed.stderr, listed.stderr
    assert "Ann" in listed.stdout


def test_an_empty_database_file_is_migrated_too(workspace: Workspace) -> None:
    workspace.database_path.parent.mkdir()
    workspace.database_path.touch()
    result = workspace.run("users", "list")
    assert result.returncode == 0, result.stderr
    assert "no users yet" in result.stdout


@pytest.fixture(scope="module")
def empty_postgres() -> Iterator[str]:
    """A Postgres database with no tables at all (nobody ran `migrate`)."""
    with throwaway_postgres_database("sms_assistant_empty", migrate=False) as url:
        yield url


@pytest.mark.postgres
@pytest.mark.parametrize(
    "args",
    [["users", "list"], ["serve", "--port", "1"]],
    ids=["list", "serve"],
)
def test_postgres_is_never_migrated_implicitly(
    workspace: Workspace, empty_postgres: str, args: list[str]
) -> None:
    result = workspace.run(*args, stdin="", DATABASE_URL=empty_postgres, TWILIO_AUTH_TOKEN="x")
    assert_clean_failure(result, None, "not current", "run `sms-assistant migrate`")
    with create_engine(empty_postgres).connect() as connection:
        tables = connection.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname='public'")
        )
        assert tables.scalar_one() == 0


# --- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [
        ("TWILIO_ACCOUNT_SID", "bogus", ["users", "list"]),
        ("DEFAULT_TIMEZONE", "Mars/Base", ["migrate"]),
        ("LOG_LEVEL", "chatty", ["users", "list"]),
        ("DATABASE_URL", "mysql://localhost/assistant", ["migrate"]),
        ("MAX_PLAN_STEPS", "many", ["chat", "--phone", ANN_PHONE]),
    ],
    ids=["account-sid", "timezone", "log-level", "database-url", "plan-steps"],
)
def test_a_malformed_setting_stops_with_one_line_naming_it(
    workspace: Workspace, variable: str, value: str, command: list[str]
) -> None:
    result = workspace.run(*command, **{variable: value})
    assert_clean_failure(result, 2, "Configuration error", f"{variable}:")
    assert result.stdout == ""


def test_serve_without_an_auth_token_refuses_to_start(migrated: Workspace) -> None:
    result = migrated.run("serve", "--port", str(free_port()))
    assert_clean_failure(result, 2, "TWILIO_AUTH_TOKEN is required")


# --- chat --------------------------------------------------------------------------------------


def test_chat_answers_each_line_until_quit(migrated: Workspace) -> None:
    assert migrated.run("users", "add", "--phone", ANN_PHONE, "--name", "Ann").returncode == 0
    result = migrated.run(
        "chat",
        "--phone",
        ANN_PHONE,
        stdin="note: gate code 4412\r\n\nfind gate\n/quit\nnote: after quitting\n",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Chatting as Ann (+14155550123)" in result.stdout
    assert "assistant> Saved note #1: gate code 4412\n" in result.stdout  # no stray "\r"
    assert "#1 gate code 4412" in result.stdout.split("Saved note #1")[1]
    assert "after quitting" not in result.stdout
    assert result.stdout.count("assistant>") == 2
    assert "Traceback" not in result.stderr


def test_chat_as_an_unregistered_number_is_refused(migrated: Workspace) -> None:
    result = migrated.run("chat", "--phone", "+14155550199", stdin="hello\n")
    assert_clean_failure(result, 1, "+14155550199 is not registered", "sms-assistant users add")
    assert "assistant>" not in result.stdout


def test_removing_a_user_forgets_their_conversation_history(migrated: Workspace) -> None:
    assert migrated.run("users", "add", "--phone", ANN_PHONE, "--name", "Ann").returncode == 0
    chat = migrated.run("chat", "--phone", ANN_PHONE, stdin="note: my pin is 9999\n/quit\n")
    assert "Saved note #1" in chat.stdout, chat.stdout + chat.stderr
    assert migrated.run("users", "remove", "--phone", ANN_PHONE).returncode == 0

    # SQLite hands the next conversation the same id, i.e. the same LangGraph thread, so
    # the checkpoints must go with the user or the next person inherits Ann's messages.
    with sqlite3.connect(migrated.database_path) as connection:
        (left,) = connection.execute("SELECT count(*) FROM checkpoints").fetchone()
    assert left == 0


# --- simulate against a real server ------------------------------------------------------------


@dataclass
class Server:
    workspace: Workspace
    url: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `sms-assistant serve` for the module, on a migrated database, with a webhook token."""
    cwd = tmp_path_factory.mktemp("server")
    workspace = Workspace(cwd, f"sqlite:///{cwd / 'data' / 'assistant.db'}")
    env = cli_env(workspace.database_url, TWILIO_AUTH_TOKEN=AUTH_TOKEN, LOG_LEVEL="WARNING")
    migrated = workspace.run("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr

    port = free_port()
    log_path = cwd / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(CLI), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no /healthz within {SERVER_START_TIMEOUT}s:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield Server(workspace, f"{base}/twilio/sms")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def simulate(
    server: Server, phone: str, text: str, **settings: str
) -> subprocess.CompletedProcess[str]:
    values = {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, **settings}
    return server.workspace.run("simulate", "--phone", phone, "--url", server.url, text, **values)


@pytest.mark.slow
def test_simulate_posts_a_signed_text_and_prints_the_reply(server: Server) -> None:
    phone = "+14155550150"
    added = server.workspace.run("users", "add", "--phone", phone, "--name", "Sim")
    assert added.returncode == 0, added.stderr

    saved = simulate(server, phone, "note: buy milk")
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert saved.stdout.strip() == "Saved note #1: buy milk"

    # Typed without +1, signed and answered the same; the note is there.
    listed = simulate(server, "(415) 555-0150", "notes", DEFAULT_REGION="US")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "#1 buy milk" in listed.stdout


@pytest.mark.slow
def test_simulate_with_another_auth_token_is_rejected(server: Server) -> None:
    result = simulate(server, "+14155550151", "hello", TWILIO_AUTH_TOKEN="not-the-server-token")
    assert_clean_failure(result, 1, "the server rejected the signature", "TWILIO_AUTH_TOKEN")


@pytest.mark.slow
def test_simulate_from_an_unregistered_number_shows_the_registration_notice(
    server: Server,
) -> None:
    result = simulate(server, "+14155550152", "hello")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "isn't registered" in result.stdout


def test_simulate_to_a_port_with_nothing_listening_says_it_could_not_reach_it(
    workspace: Workspace,
) -> None:
    url = f"http://127.0.0.1:{free_port()}/twilio/sms"
    result = workspace.run(
        "simulate", "--phone", ANN_PHONE, "--url", url, "hello", TWILIO_AUTH_TOKEN=AUTH_TOKEN
    )
    assert_clean_failure(result, 1, f"could not reach {url}", "is the server running")


def test_simulate_without_an_auth_token_cannot_sign(workspace: Workspace) -> None:
    result = workspace.run("simulate", "--phone", ANN_PHONE, "hello")
    assert_clean_failure(result, 2, "TWILIO_AUTH_TOKEN must be set")


@pytest.mark.parametrize("url", ["127.0.0.1:8000/twilio/sms", "http://[::1"])
def test_simulate_with_a_malformed_url_says_so(workspace: Workspace, url: str) -> None:
    result = workspace.run(
        "simulate", "--phone", ANN_PHONE, "--url", url, "hello", TWILIO_AUTH_TOKEN=AUTH_TOKEN
    )
    assert_clean_failure(result, 2, "--url:")
