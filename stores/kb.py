"""Knowledge bases: a user's own documents ("user:<id>") and the operator's "shared" ones.

A document is identified by (collection, location). Re-adding the same location with changed
bytes replaces its chunks. The same bytes under another location in the same collection are a
duplicate and are not stored twice. Chunks carry their vectors in SQL, and each collection's FAISS
copy follows through `stores.indexes`, as memories do.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.db import Database
from stores.documents import (
    UnreadableDocument,
    content_type_for,
    extract_text,
    split_into_chunks,
)
from stores.embeddings import TextEmbeddings
from stores.indexes import (
    INDEXES,
    Loader,
    bump,
    database_key,
    read_stamp,
    reembed_rows,
    vectors_from_blobs,
)
from stores.models import KbChunk, KbDocument

SHARED = "shared"
BATCH_CHUNKS = 256
"""Chunks embedded per model call when ingesting many files."""


def collection_for(user_id: int | None) -> str:
    return SHARED if user_id is None else f"user:{user_id}"


def index_name(collection: str) -> str:
    return f"kb:{collection}"


@dataclass(frozen=True)
class Ingested:
    status: str
    """added, updated, unchanged, or duplicate."""
    source: str
    chunks: int
    duplicate_of: str | None = None


@dataclass(frozen=True)
class Passage:
    source: str
    text: str
    score: float
    chunk_id: int
    collection: str


async def _load(
    session: AsyncSession, collection: str, only: list[int] | None = None, ids_only: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The collection's (chunk ids, vectors); `only` some ids; `ids_only` skips the vectors."""
    columns = (KbChunk.id,) if ids_only else (KbChunk.id, KbChunk.embedding)
    query = (
        select(*columns)
        .join(KbDocument, KbChunk.document_id == KbDocument.id)
        .where(KbDocument.collection == collection)
    )
    if only is not None:
        query = query.where(KbChunk.id.in_(only))
    rows = (await session.execute(query)).all()
    return np.array([r.id for r in rows], dtype=np.int64), vectors_from_blobs(
        [] if ids_only else [r.embedding for r in rows]
    )


def _loader(collection: str) -> Loader:
    async def load(
        session: AsyncSession, only: list[int] | None = None, ids_only: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        return await _load(session, collection, only, ids_only)

    return load


async def _find(session: AsyncSession, collection: str, **where: str) -> KbDocument | None:
    query = select(KbDocument).where(KbDocument.collection == collection)
    for column, value in where.items():
        query = query.where(getattr(KbDocument, column) == value)
    return (await session.execute(query.limit(1))).scalar_one_or_none()


@dataclass(frozen=True)
class Upload:
    """One file to ingest; `read` is called (in a worker thread) only when it is needed."""

    source: str
    location: str
    read: Callable[[], bytes]
    content_type: str | None = None
    """None: from the source's file name."""


@dataclass(frozen=True)
class _Prepared:
    upload: Upload
    content_type: str
    digest: str
    size: int
    chunks: list[str]


def _read(upload: Upload) -> tuple[bytes, str]:
    content_type = upload.content_type or content_type_for(upload.source)
    try:
        return upload.read(), content_type
    except OSError as error:
        raise UnreadableDocument(f"{upload.location}: {error.strerror or error}") from None


async def _prepare(
    database: Database, *, user_id: int | None, upload: Upload
) -> Ingested | _Prepared:
    """Skip what is already stored; otherwise the document's chunks. Raises
    UnreadableDocument."""
    data, content_type = await asyncio.to_thread(_read, upload)
    collection = collection_for(user_id)
    digest = hashlib.sha256(data).hexdigest()
    async with database.session() as session:
        existing = await _find(session, collection, location=upload.location)
        if existing is not None and existing.content_hash == digest:
            return Ingested("unchanged", upload.source, existing.chunk_count)
        twin = await _find(session, collection, content_hash=digest)
        if twin is not None:
            return Ingested("duplicate", upload.source, 0, duplicate_of=twin.source)
    text = await asyncio.to_thread(extract_text, data, content_type, upload.source)
    chunks = await asyncio.to_thread(split_into_chunks, text, content_type)
    return _Prepared(upload, content_type, digest, len(data), chunks)


async def _store(
    database: Database,
    embeddings: TextEmbeddings,
    *,
    user_id: int | None,
    prepared: _Prepared,
    vectors: np.ndarray,
    clock: Clock,
) -> Ingested:
    collection = collection_for(user_id)
    upload, chunks, now = prepared.upload, prepared.chunks, clock.now()
    async with database.session() as session:
        stamp = await bump(session, index_name(collection), user_id=user_id, clock=clock)
        document = await _find(session, collection, location=upload.location)
        replaced: list[int] = []
        is_new = document is None
        if document is None:
            document = KbDocument(
                collection=collection, user_id=user_id, location=upload.location, created_at=now
            )
            session.add(document)
        else:
            replaced = list(
                (
                    await session.execute(
                        select(KbChunk.id).where(KbChunk.document_id == document.id)
                    )
                ).scalars()
            )
            await session.execute(delete(KbChunk).where(KbChunk.document_id == document.id))
        document.source = upload.source[:255]
        document.content_hash = prepared.digest
        document.content_type = prepared.content_type
        document.size_bytes = prepared.size
        document.chunk_count = len(chunks)
        document.updated_at = now
        await session.flush()
        rows = [
            KbChunk(
                document_id=document.id,
                ordinal=ordinal,
                text=chunk,
                embedding=vector.astype(np.float32).tobytes(),
                embedding_model=embeddings.model_id,
            )
            for ordinal, (chunk, vector) in enumerate(zip(chunks, vectors, strict=True))
        ]
        session.add_all(rows)
        await session.flush()
        ids = np.array([row.id for row in rows], dtype=np.int64)
        db = database_key(session)
    await INDEXES.after_write(
        db, index_name(collection), stamp, add=(ids, vectors), remove=replaced
    )
    return Ingested("added" if is_new else "updated", upload.source, len(chunks))


async def ingest(
    database: Database,
    embeddings: TextEmbeddings,
    *,
    user_id: int | None,
    source: str,
    location: str,
    data: bytes,
    content_type: str,
    clock: Clock,
) -> Ingested:
    """Add or refresh one document. Raises stores.documents.UnreadableDocument."""
    upload = Upload(source, location, lambda: data, content_type)
    prepared = await _prepare(database, user_id=user_id, upload=upload)
    if isinstance(prepared, Ingested):
        return prepared
    vectors = await embeddings.aembed_array(prepared.chunks)
    return await _store(
        database, embeddings, user_id=user_id, prepared=prepared, vectors=vectors, clock=clock
    )


async def ingest_many(
    database: Database,
    embeddings: TextEmbeddings,
    *,
    user_id: int | None,
    uploads: Iterable[Upload],
    clock: Clock,
    batch_chunks: int = BATCH_CHUNKS,
) -> AsyncIterator[tuple[Upload, Ingested | UnreadableDocument]]:
    """Ingest many files, embedding chunks from several files per model call (large batches
    run about twice as fast as one small file at a time). Yields each upload's outcome, in
    order of completion; an unreadable file is yielded as its error and the rest go on."""
    pending: list[_Prepared] = []
    first_source: dict[str, str] = {}

    async def flush() -> AsyncIterator[tuple[Upload, Ingested | UnreadableDocument]]:
        texts = [chunk for prepared in pending for chunk in prepared.chunks]
        vectors = await embeddings.aembed_array(texts)
        start = 0
        for prepared in pending:
            end = start + len(prepared.chunks)
            yield (
                prepared.upload,
                await _store(
                    database,
                    embeddings,
                    user_id=user_id,
                    prepared=prepared,
                    vectors=vectors[start:end],
                    clock=clock,
                ),
            )
            start = end
        pending.clear()

    for upload in uploads:
        try:
            prepared = await _prepare(database, user_id=user_id, upload=upload)
        except UnreadableDocument as error:
            yield upload, error
            continue
        if isinstance(prepared, Ingested):
            yield upload, prepared
        elif prepared.digest in first_source:  # the same bytes earlier in this batch
            yield upload, Ingested("duplicate", upload.source, 0, first_source[prepared.digest])
        else:
            first_source[prepared.digest] = upload.source
            pending.append(prepared)
            if sum(len(p.chunks) for p in pending) >= batch_chunks:
                async for outcome in flush():
                    yield outcome
    if pending:
        async for outcome in flush():
            yield outcome


async def search(
    database: Database,
    embeddings: TextEmbeddings,
    *,
    user_id: int | None,
    query: str,
    k: int,
    min_score: float,
) -> list[Passage]:
    """The best passages from the user's own and the shared collection, best first."""
    collections = [SHARED] if user_id is None else [collection_for(user_id), SHARED]
    if not query.strip():
        return []
    async with database.session() as session:
        present = [c for c in collections if await read_stamp(session, index_name(c))]
        if not present:
            return []  # no knowledge base at all: skip the embedding
        vector = await embeddings.aembed_query_vector(query)
        hits: dict[int, tuple[float, str]] = {}
        for collection in present:
            found = await INDEXES.search(
                session, index_name(collection), _loader(collection), vector, k
            )
            for chunk_id, score in found:
                if score >= min_score:
                    hits[chunk_id] = (score, collection)
        if not hits:
            return []
        rows = (
            await session.execute(
                select(KbChunk.id, KbChunk.text, KbDocument.source, KbDocument.collection)
                .join(KbDocument, KbChunk.document_id == KbDocument.id)
                .where(KbChunk.id.in_(list(hits)), KbDocument.collection.in_(present))
            )
        ).all()
    passages = [
        Passage(
            source=r.source,
            text=r.text,
            score=hits[r.id][0],
            chunk_id=r.id,
            collection=r.collection,
        )
        for r in rows
    ]
    passages.sort(key=lambda p: (-p.score, p.chunk_id))
    return passages[:k]


async def list_documents(
    session: AsyncSession, *, collections: list[str] | None = None
) -> list[KbDocument]:
    query = select(KbDocument).order_by(KbDocument.collection, KbDocument.source, KbDocument.id)
    if collections is not None:
        query = query.where(KbDocument.collection.in_(collections))
    return list((await session.execute(query)).scalars())


async def remove(
    database: Database, *, user_id: int | None, name: str, clock: Clock
) -> list[KbDocument]:
    """Remove documents whose source name or location is `name`; returns those removed."""
    collection = collection_for(user_id)
    async with database.session() as session:
        documents = list(
            (
                await session.execute(
                    select(KbDocument).where(
                        KbDocument.collection == collection,
                        or_(KbDocument.source == name, KbDocument.location == name),
                    )
                )
            ).scalars()
        )
        if not documents:
            return []
        stamp = await bump(session, index_name(collection), user_id=user_id, clock=clock)
        doc_ids = [d.id for d in documents]
        chunk_ids = list(
            (
                await session.execute(select(KbChunk.id).where(KbChunk.document_id.in_(doc_ids)))
            ).scalars()
        )
        await session.execute(delete(KbChunk).where(KbChunk.document_id.in_(doc_ids)))
        await session.execute(delete(KbDocument).where(KbDocument.id.in_(doc_ids)))
        db = database_key(session)
    await INDEXES.after_write(db, index_name(collection), stamp, remove=chunk_ids)
    return documents


async def reembed(
    database: Database, embeddings: TextEmbeddings, *, collection: str, clock: Clock
) -> int:
    """Re-embed chunks stored with another model and make every process rebuild the copy."""
    user_id = None if collection == SHARED else int(collection.split(":", 1)[1])
    stale = (
        select(KbChunk.id, KbChunk.text)
        .join(KbDocument, KbChunk.document_id == KbDocument.id)
        .where(
            KbDocument.collection == collection,
            KbChunk.embedding_model != embeddings.model_id,
        )
    )
    return await reembed_rows(
        database,
        embeddings,
        model=KbChunk,
        stale=stale,
        index=index_name(collection),
        user_id=user_id,
        clock=clock,
    )
