"""Re-encrypt everything stored encrypted with the newest key (`sms-assistant keys rotate`).

Columns typed EncryptedText are found from the models, so a new encrypted column is rotated
without touching this file. Checkpoint blobs written by LangGraph's EncryptedSerializer are
rotated too. Rows are read and written as raw text, in batches, each batch in its transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import Column, LargeBinary, Table, Text, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from stores.crypto import EncryptedBytes, EncryptedText, Keyring
from stores.db import Database
from stores.models import Base

BATCH = 500
CHECKPOINT_BLOBS = {
    "sqlite": (("checkpoints", "checkpoint"), ("writes", "value")),
    "postgresql": (("checkpoint_blobs", "blob"), ("checkpoint_writes", "blob")),
}


def encrypted_columns() -> Iterator[tuple[Table, Column[str]]]:
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (EncryptedText, EncryptedBytes)):
                yield table, column


async def count_rows(database: Database) -> int:
    total = 0
    async with database.session() as session:
        for table, column in encrypted_columns():
            query = select(text("count(*)")).select_from(table).where(column.isnot(None))
            total += int((await session.execute(query)).scalar_one())
    return total


async def rotate_all(
    database: Database, keyring: Keyring, on_progress: Callable[[int], None] | None = None
) -> int:
    """Re-encrypt every encrypted column value and checkpoint blob; returns how many."""
    done = 0
    for table, column in encrypted_columns():
        key = table.primary_key.columns.values()[0]
        binary = isinstance(column.type, EncryptedBytes)
        raw = LargeBinary if binary else Text
        last = None
        while True:
            async with database.session() as session:
                # Read and write the stored token as plain Text, bypassing EncryptedText.
                query = select(key, column.cast(raw)).where(column.isnot(None)).order_by(key)
                if last is not None:
                    query = query.where(key > last)
                rows = (await session.execute(query.limit(BATCH))).all()
                for row_id, stored in rows:
                    fresh = (
                        keyring.rotate_bytes(bytes(stored)) if binary else keyring.rotate(stored)
                    )
                    await session.execute(
                        update(table)
                        .where(key == row_id)
                        .values({column.name: literal(fresh, type_=raw)})
                    )
            if not rows:
                break
            last = rows[-1][0]
            done += len(rows)
            if on_progress:
                on_progress(len(rows))
    async with database.session() as session:
        done += await _rotate_checkpoints(session, keyring)
    return done


async def _rotate_checkpoints(session: AsyncSession, keyring: Keyring) -> int:
    dialect = session.get_bind().dialect.name
    rotated = 0
    existing = await session.run_sync(
        lambda sync: set(sync.connection().dialect.get_table_names(sync.connection()))
    )
    # Postgres has no rowid: a row's ctid is stable within this one transaction.
    row_key = "ctid::text" if dialect == "postgresql" else "rowid"
    match_key = "ctid = CAST(:key AS tid)" if dialect == "postgresql" else "rowid = :key"
    for table, column in CHECKPOINT_BLOBS.get(dialect, ()):
        if table not in existing:
            continue
        select_blobs = f"SELECT {row_key}, {column} FROM {table} WHERE type LIKE '%+fernet'"
        for key, blob in (await session.execute(text(select_blobs))).all():
            await session.execute(
                text(f"UPDATE {table} SET {column} = :blob WHERE {match_key}"),
                {"blob": keyring.fernet.rotate(bytes(blob)), "key": key},
            )
            rotated += 1
    return rotated
