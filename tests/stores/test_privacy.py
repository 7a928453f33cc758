"""users purge / export: erase a person everywhere, or hand them everything we hold."""

import json
import subprocess

from sqlalchemy import func, select, text

from stores import privacy
from stores.checkpointer import open_checkpointer
from stores.models import Base, ConsentEvent, InboxItem
from tests.api.conftest import SMS_URL, start_app
from tests.cli.test_cli import CLI, cli_env
from tests.conftest import ANN_PHONE, AUTH_TOKEN, BOB_PHONE, make_settings
from tests.helpers import add_user, post_signed, twilio_form


async def _talk(harness, phone, *bodies):
    for body in bodies:
        harness.app.state.clock.advance(__import__("datetime").timedelta(seconds=10))
        await post_signed(
            harness.client, twilio_form(body, phone), token=AUTH_TOKEN, signed_url=SMS_URL
        )


async def _rows_for(database, user_id, phone):
    """Rows anywhere that belong to this user id or phone number."""
    counts = {}
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            for column, value in (
                ("user_id", user_id),
                ("from_number", phone),
                ("to_number", phone),
                ("phone", phone),
            ):
                if column in table.c:
                    query = select(func.count()).select_from(table).where(table.c[column] == value)
                    n = (await session.execute(query)).scalar_one()
                    if n:
                        counts[f"{table.name}.{column}"] = n
    return counts


async def test_purge_leaves_no_row_vector_or_checkpoint_of_that_person(sqlite_url, clock):
    async for harness in start_app(make_settings(sqlite_url), clock):
        ann = await add_user(harness.database, clock, ANN_PHONE)
        bob = await add_user(harness.database, clock, BOB_PHONE, name="Bob")
        await _talk(
            harness,
            ANN_PHONE,
            "note: gate code 4412",
            "remember my address is 1 Elm St",
            "notes",
            "STOP",
            "START",
        )
        await _talk(harness, BOB_PHONE, "note: bob's note")
        assert len(await _rows_for(harness.database, ann.id, ANN_PHONE)) > 4
        async with open_checkpointer(sqlite_url) as saver:
            threads = {c.config["configurable"]["thread_id"] async for c in saver.alist(None)}
        assert len(threads) == 2

        assert await privacy.purge(harness.database, phone=ANN_PHONE)

        left = await _rows_for(harness.database, ann.id, ANN_PHONE)
        assert left == {"consent_events.phone": 2}  # proof of the opt-out is kept
        assert await _rows_for(harness.database, bob.id, BOB_PHONE)  # Bob untouched
        async with open_checkpointer(sqlite_url) as saver:
            threads_after = {c.config["configurable"]["thread_id"] async for c in saver.alist(None)}
        assert len(threads_after) == 1
        async with harness.database.session() as session:
            vectors = (
                await session.execute(
                    text("SELECT count(*) FROM memories WHERE user_id = :u"), {"u": ann.id}
                )
            ).scalar_one()
            inbox_left = (await session.execute(select(func.count(InboxItem.id)))).scalar_one()
            consent = (await session.execute(select(ConsentEvent))).scalars().all()
        assert vectors == 0
        assert inbox_left == 1  # Bob's
        assert [e.kind for e in consent] == ["opt_out", "opt_in"]
        assert not await privacy.purge(harness.database, phone=ANN_PHONE)


async def test_export_holds_messages_notes_and_memories_decrypted(sqlite_url, clock):
    async for harness in start_app(make_settings(sqlite_url), clock):
        await add_user(harness.database, clock, ANN_PHONE)
        await _talk(harness, ANN_PHONE, "note: gate code 4412")
        data = await privacy.export(harness.database, phone=ANN_PHONE)
    assert data["user"]["phone"] == ANN_PHONE
    assert [n["text"] for n in data["notes"]] == ["gate code 4412"]
    bodies = [m["body"] for c in data["conversations"] for m in c["messages"]]
    assert bodies == ["note: gate code 4412", "Saved note #1: gate code 4412"]
    json.dumps(data)  # JSON-ready


def test_the_cli_exports_then_purges_after_confirmation(sqlite_url, tmp_path):
    env = cli_env(sqlite_url)

    def run(*args, **kwargs):
        return subprocess.run(
            [CLI, *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            **kwargs,
        )

    assert run("users", "add", "--phone", ANN_PHONE, "--name", "Ann").returncode == 0
    out = tmp_path / "ann.json"
    exported = run("users", "export", "--phone", ANN_PHONE, "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    assert json.loads(out.read_text())["user"]["name"] == "Ann"
    assert out.stat().st_mode & 0o777 == 0o600
    refused = run("users", "purge", "--phone", ANN_PHONE, input="n\n")
    assert refused.returncode == 1 and "nothing erased" in refused.stderr
    purged = run("users", "purge", "--phone", ANN_PHONE, "--yes")
    assert purged.returncode == 0, purged.stderr
    again = run("users", "export", "--phone", ANN_PHONE)
    assert again.returncode == 1 and "not registered" in again.stderr
