"""`sms-assistant kb ...` and `index rebuild`: in-process with the fake embedding, plus one run
of the real console script with the real model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import kb as cli_kb
from cli.app import app
from stores.settings import get_settings
from tests.cli.test_cli import cli_env
from tests.conftest import ANN_PHONE, run
from tests.documents import LEASE_LINES, PACKING_MD, WIFI_HTML, make_pdf
from tests.helpers import add_user

cli_kb.register(app)


@pytest.fixture
def kb_cli(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


def write_docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lease.pdf").write_bytes(make_pdf(LEASE_LINES))
    (folder / "building.html").write_text(WIFI_HTML)
    (folder / "packing.md").write_text(PACKING_MD)
    (folder / "gate.txt").write_text("The gate code is 4412.")
    (folder / "empty.txt").write_text("")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (folder / "report.docx").write_bytes(b"PK\x03\x04")
    (folder / ".hidden.txt").write_text("never read")
    return folder


def test_add_reports_each_file_keeps_going_and_exits_non_zero(kb_cli, tmp_path):
    docs = write_docs(tmp_path / "docs")
    result = kb_cli("kb", "add", str(docs), "--shared")
    assert result.exit_code == 1
    output = result.output
    for line in (
        "added: building.html (1 chunks)",
        "added: gate.txt (1 chunks)",
        "added: lease.pdf (1 chunks)",
        "added: packing.md (1 chunks)",
        "error: broken.pdf: not a readable PDF",
        "error: empty.txt: the file is empty",
        "passed over 1 file(s) of other types",
        "Error: 2 of 6 file(s) could not be added",
    ):
        assert line in output, output
    assert "hidden" not in output and "Traceback" not in output

    listed = kb_cli("kb", "list", "--shared")
    assert listed.exit_code == 0
    assert all(n in listed.output for n in ("lease.pdf", "building.html", "packing.md"))

    again = kb_cli("kb", "add", str(docs / "gate.txt"), str(docs / "lease.pdf"), "--shared")
    assert again.exit_code == 0
    assert "unchanged: gate.txt" in again.output and "unchanged: lease.pdf" in again.output
    (docs / "gate.txt").write_text("The garage opener code is 9090.")
    assert "updated: gate.txt" in kb_cli("kb", "add", str(docs / "gate.txt"), "--shared").output
    (tmp_path / "copy.md").write_text(PACKING_MD)
    assert "skipped: copy.md (same content as packing.md)" in (
        kb_cli("kb", "add", str(tmp_path / "copy.md"), "--shared").output
    )


def test_search_remove_and_rebuild(kb_cli, tmp_path, sqlite_url, clock):
    from stores.db import Database

    async def register_ann() -> None:
        database = Database(sqlite_url)
        await add_user(database, clock, ANN_PHONE)
        await database.dispose()

    run(register_ann())
    (tmp_path / "mine.txt").write_text("my tulip bulbs are in the shed")
    (tmp_path / "rules.txt").write_text("tulip beds are for everyone")
    assert kb_cli("kb", "add", str(tmp_path / "mine.txt"), "--user", ANN_PHONE).exit_code == 0
    assert kb_cli("kb", "add", str(tmp_path / "rules.txt"), "--shared").exit_code == 0

    shared_only = kb_cli("kb", "search", "tulip", "--min-score", "0")
    assert "rules.txt  [shared]" in shared_only.output and "mine.txt" not in shared_only.output
    assert kb_cli("kb", "search", "tulip", "--shared", "--min-score", "0").output == (
        shared_only.output
    )
    both = kb_cli("kb", "search", "tulip bulbs", "--user", ANN_PHONE, "--min-score", "0")
    assert both.output.index("mine.txt") < both.output.index("rules.txt")
    scores = [float(line.split()[0]) for line in both.output.splitlines() if "  [" in line]
    assert scores and all(0.0 <= score <= 1.0 for score in scores)
    unrelated = kb_cli("kb", "search", "quarterly invoice reconciliation", "--min-score", "0.9")
    assert unrelated.exit_code == 0
    assert unrelated.output.startswith("nothing similar enough: no passage reaches 0.90")

    rebuilt = kb_cli("index", "rebuild")
    assert rebuilt.exit_code == 0 and "rebuilt 2 index(es)" in rebuilt.output
    assert "re-embedded 0 item(s) with all-MiniLM-L6-v2-onnx-int8" in rebuilt.output

    assert kb_cli("kb", "remove", "mine.txt", "--user", ANN_PHONE).output.strip() == (
        "removed mine.txt"
    )
    gone = kb_cli("kb", "remove", "mine.txt", "--user", ANN_PHONE)
    assert gone.exit_code == 1 and "no document named 'mine.txt'" in gone.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["kb", "add", "x.txt"], "say whose documents these are: --user PHONE or --shared"),
        (["kb", "add", "x.txt", "--user", "+14155550199", "--shared"], "not both"),
        (["kb", "add", "missing.txt", "--user", "+14155550199"], "is not registered"),
        (["kb", "add", "/no/such/dir/x.md", "--shared"], "no such file or directory"),
        (["kb", "search", "  "], "the query is empty"),
        (["kb", "search", "x", "--user", "+14155550199", "--shared"], "not both"),
        (["kb", "search", "x", "--min-score", "1.5"], "--min-score"),
    ],
)
def test_bad_input_gets_a_clear_error(kb_cli, args, message):
    result = kb_cli(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_real_command_with_the_real_model(sqlite_url, tmp_path):
    docs = write_docs(tmp_path / "docs")
    cli = Path(sys.executable).with_name("sms-assistant")
    env = cli_env(sqlite_url)

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(cli), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    added = command("kb", "add", str(docs), "--shared")
    assert added.returncode == 1, added.stderr
    assert "added: lease.pdf (1 chunks)" in added.stdout
    assert "broken.pdf: not a readable PDF" in added.stderr
    found = command("kb", "search", "can I keep a cat in the flat?")
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines()[0].endswith("lease.pdf  [shared]")
    assert 0.3 <= float(found.stdout.split()[0]) <= 1.0  # above the assistant's threshold
    # Unrelated: the real model scores it below RAG_MIN_SCORE, so nothing is shown.
    unrelated = command("kb", "search", "the offside rule in ice hockey")
    assert unrelated.returncode == 0, unrelated.stderr
    assert unrelated.stdout.startswith("nothing similar enough"), unrelated.stdout
