"""One canary texted through the features a user writes into (note, memory, todo, reminder,
name, summary, checkpoint): afterwards it is nowhere on disk in plain text, WAL included.
(Missed-reminder notices and MMS media: tests/stores/test_encryption.py.)"""

from pathlib import Path

from sqlalchemy import func, select

from stores.db import sqlite_path
from stores.models import ConversationSummary, Memory, Note, Reminder, Todo, User
from tests.api.conftest import SMS_URL, start_app
from tests.conftest import ANN_PHONE, AUTH_TOKEN, make_settings
from tests.helpers import add_user, post_signed, twilio_form

CANARY = "quokka-7731-canary"
NAME_CANARY = "Quokkazorbit"
"""A name as people give one (letters only: a name with digits is not taken as a name)."""


async def _count(database, model) -> int:
    async with database.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_a_canary_texted_through_every_feature_is_nowhere_on_disk(sqlite_url, clock):
    settings = make_settings(sqlite_url, history_token_budget=200)
    async for harness in start_app(settings, clock):
        await add_user(harness.database, clock, ANN_PHONE)
        texts = [
            f"note: the {CANARY} gate code",
            f"remember that my locker is {CANARY}",
            f"add {CANARY} to my list",
            f"remind me to feed the {CANARY} tomorrow at 5pm",
            f"call me {NAME_CANARY}",
            *(f"note: {CANARY} and some more words to fill the history {i}" for i in range(12)),
        ]
        for text in texts:
            response = await post_signed(
                harness.client, twilio_form(text, ANN_PHONE), token=AUTH_TOKEN, signed_url=SMS_URL
            )
            assert response.status_code == 200
        for model in (
            Note,
            Memory,
            Todo,
            Reminder,
            ConversationSummary,
        ):  # every feature kept something
            assert await _count(harness.database, model) >= 1, model.__name__
        async with harness.database.session() as session:
            name = (await session.execute(select(User.name))).scalar_one()
        assert name == NAME_CANARY
        data = Path(sqlite_path(sqlite_url)).parent
        files = [p for p in data.rglob("*") if p.is_file()]
        assert any(p.name.endswith("-wal") for p in files)
        for file in files:
            content = file.read_bytes().lower()
            assert CANARY.encode() not in content, file
            assert NAME_CANARY.lower().encode() not in content, file
