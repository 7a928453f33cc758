"""Encryption at rest: a secret texted in never reaches the disk in plain text."""

import sqlite3
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from stores import crypto, notes, rotation
from stores.db import Database, sqlite_path
from stores.models import Message, Note, User
from stores.settings import ConfigurationError, load_settings
from tests.api.conftest import SMS_URL, start_app
from tests.conftest import ANN_PHONE, AUTH_TOKEN, make_settings
from tests.helpers import add_user, post_signed, twilio_form

SECRET = "zebra-4242-locker"


async def test_a_secret_texted_in_is_not_in_the_database_file_wal_or_checkpoints(sqlite_url, clock):
    async for harness in start_app(make_settings(sqlite_url), clock):
        await add_user(harness.database, clock, ANN_PHONE)
        for body in (f"note: my locker code is {SECRET}", f"find {SECRET}"):
            response = await post_signed(
                harness.client, twilio_form(body, ANN_PHONE), token=AUTH_TOKEN, signed_url=SMS_URL
            )
            assert SECRET in response.text  # the texter still gets their answer
        async with harness.database.session() as session:
            [note] = await notes.list_notes(session, user_id=1)
            assert note.text == f"my locker code is {SECRET}"  # readable through the app
        path = sqlite_path(sqlite_url)
        files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
        assert files
        for file in files:  # what `grep -a` would find
            assert SECRET.encode() not in file.read_bytes(), file
        grep = subprocess.run(  # noqa: ASYNC221 - a test: nothing else waits on this loop
            ["grep", "-a", "-c", SECRET, *map(str, files)], capture_output=True, text=True
        )
        assert grep.returncode == 1, grep.stdout  # 1: no line matched
        with sqlite3.connect(path) as connection:
            types = {t for (t,) in connection.execute("SELECT type FROM checkpoints")}
            writes = {t for (t,) in connection.execute("SELECT type FROM writes")}
            [stored] = connection.execute("SELECT text FROM notes").fetchone()
        assert types == {"msgpack+fernet"}
        assert all(t.endswith("+fernet") for t in writes)
        assert stored.startswith(crypto.TOKEN_PREFIX)


async def test_rotation_re_encrypts_with_the_new_key_and_the_old_one_can_go(
    sqlite_url, clock, monkeypatch
):
    from tests.conftest import TEST_ENCRYPTION_KEY

    database = Database(sqlite_url)
    user = await add_user(database, clock, ANN_PHONE)
    async with database.session() as session:
        await notes.add_note(session, user_id=user.id, text="old secret", clock=clock)
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("ENCRYPTION_KEY", f"{new_key},{TEST_ENCRYPTION_KEY}")
    keyring = crypto.configure(load_settings(_env_file=None))
    steps: list[int] = []
    assert await rotation.count_rows(database) == 2  # the note and the user's name
    done = await rotation.rotate_all(database, keyring, on_progress=steps.append)
    assert done >= 2 and sum(steps) == 2
    monkeypatch.setenv("ENCRYPTION_KEY", new_key)  # the old key is gone
    crypto.configure(load_settings(_env_file=None))
    async with database.session() as session:
        [note] = (await session.execute(select(Note))).scalars().all()
        [named] = (await session.execute(select(User))).scalars().all()
    assert (note.text, named.name) == ("old secret", "Ann")
    await database.dispose()


async def test_data_under_a_key_that_is_no_longer_configured_is_a_clear_error(
    sqlite_url, clock, monkeypatch
):
    database = Database(sqlite_url)
    user = await add_user(database, clock, ANN_PHONE)
    async with database.session() as session:
        await notes.add_note(session, user_id=user.id, text="x", clock=clock)
    monkeypatch.setenv("ENCRYPTION_KEY", Fernet.generate_key().decode())
    crypto.configure(load_settings(_env_file=None))
    with pytest.raises(ConfigurationError, match="ENCRYPTION_KEY"):
        async with database.session() as session:
            (await session.execute(select(Note))).scalars().all()
    await database.dispose()


def test_production_without_a_key_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.delenv("ENCRYPTION_KEY")
    monkeypatch.setenv("ENV", "production")
    with pytest.raises(ConfigurationError, match="ENCRYPTION_KEY is required"):
        crypto.configure(load_settings(_env_file=None))


def test_development_without_a_key_generates_one_privately(monkeypatch, tmp_path, caplog):
    monkeypatch.delenv("ENCRYPTION_KEY")
    monkeypatch.setenv("ENCRYPTION_KEY_FILE", str(tmp_path / "data" / "encryption.key"))
    keyring = crypto.configure(load_settings(_env_file=None))
    key_file = tmp_path / "data" / "encryption.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert "generated a development key" in caplog.text
    again = crypto.configure(load_settings(_env_file=None))  # the same key next time
    assert again.decrypt(keyring.encrypt("x")) == "x"


def test_a_malformed_key_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("ENCRYPTION_KEY", "not-a-key")
    with pytest.raises(ConfigurationError, match="Fernet keys"):
        crypto.configure(load_settings(_env_file=None))


async def test_rows_from_before_encryption_stay_readable_until_rotated(sqlite_url, clock):
    database = Database(sqlite_url)
    user = await add_user(database, clock, ANN_PHONE)
    path = sqlite_path(sqlite_url)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO notes (user_id, number, text, created_at) VALUES (?, 1, 'legacy', ?)",
            (user.id, clock.now().isoformat()),
        )
    async with database.session() as session:
        [note] = (await session.execute(select(Note))).scalars().all()
        assert note.text == "legacy"
    await rotation.rotate_all(database, crypto.keyring())
    with sqlite3.connect(path) as connection:
        [stored] = connection.execute("SELECT text FROM notes").fetchone()
    assert stored.startswith(crypto.TOKEN_PREFIX)
    await database.dispose()


@pytest.mark.postgres
async def test_rotation_covers_postgres_and_its_checkpoint_blobs(postgres_url, clock):
    async for harness in start_app(make_settings(postgres_url), clock):
        await add_user(harness.database, clock, ANN_PHONE)
        await post_signed(
            harness.client,
            twilio_form(f"note: {SECRET}", ANN_PHONE),
            token=AUTH_TOKEN,
            signed_url=SMS_URL,
        )
        done = await rotation.rotate_all(harness.database, crypto.keyring())
        assert done > 3  # the note, messages, inbox rows, checkpoint blobs
        async with harness.database.session() as session:
            bodies = [m.body for m in (await session.execute(select(Message))).scalars()]
        assert f"note: {SECRET}" in bodies


async def test_names_missed_reminder_notices_and_media_are_encrypted_too(sqlite_url, clock):
    from datetime import timedelta

    from stores import media, reminders

    database = Database(sqlite_url)
    user = await add_user(database, clock, ANN_PHONE, name=f"Ann {SECRET}")
    async with database.session() as session:
        reminder = await reminders.add_reminder(
            session,
            user_id=user.id,
            channel="sms",
            text="call the vet",
            timezone="UTC",
            first=clock.now() + timedelta(hours=1),
            clock=clock,
        )
        reminder.missed_notice = f"Missed while down: {SECRET}"
        await media.store_media_item(
            session,
            user_id=user.id,
            message_sid="SM1",
            ordinal=0,
            content_type="text/vcard",
            data=f"BEGIN:VCARD\nFN:{SECRET}\nEND:VCARD".encode(),
            clock=clock,
        )
    async with database.session() as session:  # readable through the app
        assert (await session.execute(select(User))).scalar_one().name == f"Ann {SECRET}"
        notices = await reminders.take_missed_notices(session, user_id=user.id)
        assert notices == [f"Missed while down: {SECRET}"]
    await database.dispose()
    path = sqlite_path(sqlite_url)
    for file in (p for p in (path, Path(f"{path}-wal")) if p.exists()):
        assert SECRET.encode() not in file.read_bytes(), file
