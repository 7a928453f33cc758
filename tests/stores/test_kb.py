"""Knowledge bases on SQLite and Postgres: ingest each format, dedupe, update, remove, search."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from stores import indexes, kb
from stores.db import Database
from stores.documents import CHUNK_CHARS, UnreadableDocument, content_type_for, extract_text
from stores.models import KbChunk, KbDocument
from tests.documents import LEASE_LINES, PACKING_MD, WIFI_HTML, make_pdf
from tests.fake_embeddings import HashEmbeddings
from tests.helpers import add_user


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def emb() -> HashEmbeddings:
    return HashEmbeddings()


async def add(db, emb, clock, name, data, user_id=None, location=None):
    return await kb.ingest(
        db,
        emb,
        user_id=user_id,
        source=name,
        location=location or f"/docs/{name}",
        data=data,
        content_type=content_type_for(name),
        clock=clock,
    )


async def sources(db, emb, query, user_id=None, min_score=0.2):
    found = await kb.search(db, emb, user_id=user_id, query=query, k=3, min_score=min_score)
    return [p.source for p in found]


async def test_each_format_is_ingested_and_found_with_its_source(db, emb, clock):
    assert (await add(db, emb, clock, "lease.pdf", make_pdf(LEASE_LINES))).status == "added"
    assert (await add(db, emb, clock, "building.html", WIFI_HTML.encode())).chunks == 1
    assert (await add(db, emb, clock, "packing.md", PACKING_MD.encode())).status == "added"
    assert (await add(db, emb, clock, "gate.txt", b"The gate code is 4412.\n")).chunks == 1
    assert await sources(db, emb, "wifi password guest network") == ["building.html"]
    assert await sources(db, emb, "rent dollars due month") == ["lease.pdf"]
    assert await sources(db, emb, "headlamp batteries") == ["packing.md"]
    assert await sources(db, emb, "gate code") == ["gate.txt"]
    [passage] = await kb.search(db, emb, user_id=None, query="wifi password", k=1, min_score=0)
    assert "tulip-8812" in passage.text and "var secret" not in passage.text
    assert 0 < passage.score <= 1


async def test_long_documents_are_chunked(db, emb, clock):
    text = "\n\n".join(f"Paragraph {i}: " + "filler words here " * 20 for i in range(30))
    result = await add(db, emb, clock, "long.txt", text.encode())
    assert result.chunks > 10
    async with db.session() as session:
        texts = (await session.execute(select(KbChunk.text))).scalars().all()
    assert max(len(text) for text in texts) <= CHUNK_CHARS


async def test_same_content_is_stored_once_and_unchanged_files_are_skipped(db, emb, clock):
    data = make_pdf(LEASE_LINES)
    await add(db, emb, clock, "lease.pdf", data)
    assert (await add(db, emb, clock, "lease.pdf", data)).status == "unchanged"
    copy = await add(db, emb, clock, "lease-copy.pdf", data)
    assert copy.status == "duplicate" and copy.duplicate_of == "lease.pdf"
    async with db.session() as session:
        assert len(await kb.list_documents(session)) == 1


async def test_a_changed_file_replaces_its_chunks(db, emb, clock):
    await add(db, emb, clock, "gate.txt", b"The gate code is 4412.")
    updated = await add(db, emb, clock, "gate.txt", b"The garage opener code is 9090.")
    assert updated.status == "updated"
    assert await sources(db, emb, "gate 4412") == []
    assert await sources(db, emb, "garage opener") == ["gate.txt"]
    async with db.session() as session:
        assert (await session.execute(select(func.count(KbChunk.id)))).scalar() == 1


async def test_users_see_their_own_and_shared_documents_only(db, emb, clock):
    ann = await add_user(db, clock, "+14155550123")
    bob = await add_user(db, clock, "+14155550124", name="Bob")
    await add(db, emb, clock, "ann-diary.txt", b"my secret diary about tulips", user_id=ann.id)
    await add(db, emb, clock, "rules.txt", b"quiet hours after ten about tulips")
    assert sorted(await sources(db, emb, "tulips", ann.id, 0.1)) == ["ann-diary.txt", "rules.txt"]
    assert await sources(db, emb, "tulips", bob.id, 0.1) == ["rules.txt"]
    assert await sources(db, emb, "tulips", None, 0.1) == ["rules.txt"]
    # The same bytes may live in two collections: dedupe is per collection.
    again = await add(db, emb, clock, "rules.txt", b"quiet hours after ten about tulips", bob.id)
    assert again.status == "added"


async def test_remove_deletes_rows_and_vectors(db, emb, clock):
    await add(db, emb, clock, "gate.txt", b"The gate code is 4412.")
    await add(db, emb, clock, "wifi.txt", b"wifi password tulip")
    removed = await kb.remove(db, user_id=None, name="gate.txt", clock=clock)
    assert [d.source for d in removed] == ["gate.txt"]
    assert await kb.remove(db, user_id=None, name="gate.txt", clock=clock) == []
    assert await sources(db, emb, "gate code") == []
    async with db.session() as session:
        assert (await session.execute(select(func.count(KbDocument.id)))).scalar() == 1
        assert (await session.execute(select(func.count(KbChunk.id)))).scalar() == 1


async def test_a_rebuilt_index_answers_like_the_live_one(db, emb, clock):
    for i, word in enumerate(["apple", "pear", "plum", "kiwi", "lime"]):
        await add(db, emb, clock, f"{word}.txt", f"{word} orchard row {i}".encode())
    await add(db, emb, clock, "pear.txt", b"pear trees were replaced by figs")
    await kb.remove(db, user_id=None, name="kiwi.txt", clock=clock)
    queries = ["pear", "figs", "kiwi orchard", "plum row 2", "lime"]
    live = [await sources(db, emb, q) for q in queries]
    indexes.INDEXES.forget()
    assert [await sources(db, emb, q) for q in queries] == live
    assert live[1] == ["pear.txt"] and "kiwi.txt" not in live[2]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty.txt: the file is empty"),
        ("blank.md", b"   \n\n", "blank.md: no text found"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00", "image.txt: looks like a binary file"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "broken.pdf: not a readable PDF"),
        ("scan.pdf", make_pdf([]), "scan.pdf: no text found (a scanned PDF has no text layer)"),
    ],
)
def test_unreadable_files_get_a_reason_that_names_them(name, data, reason):
    with pytest.raises(UnreadableDocument) as error:
        extract_text(data, content_type_for(name), name)
    assert str(error.value).startswith(reason)


def test_unsupported_types_are_named():
    with pytest.raises(UnreadableDocument, match=r"report.docx: unsupported file type '.docx'"):
        content_type_for("/tmp/report.docx")


async def test_ingest_many_batches_files_and_reports_each_one(db, emb, clock):
    def upload(name: str, data: bytes | None) -> kb.Upload:
        def read() -> bytes:
            if data is None:
                raise PermissionError(13, "Permission denied")
            return data

        return kb.Upload(name, f"/docs/{name}", read)

    uploads = [
        upload("a.txt", b"alpha orchard"),
        upload("b.md", b"# beta\n\nbeta orchard"),
        upload("locked.txt", None),
        upload("a-copy.txt", b"alpha orchard"),  # the same bytes as a.txt, in the same batch
        upload("c.html", b"<p>gamma orchard</p>"),
        upload("notes.docx", b"PK"),
    ]
    outcomes = {
        u.source: o
        async for u, o in kb.ingest_many(
            db, emb, user_id=None, uploads=uploads, clock=clock, batch_chunks=2
        )
    }
    assert {n: getattr(o, "status", str(o)) for n, o in outcomes.items()} == {
        "a.txt": "added",
        "b.md": "added",
        "locked.txt": "/docs/locked.txt: Permission denied",
        "a-copy.txt": "duplicate",
        "c.html": "added",
        "notes.docx": "notes.docx: unsupported file type '.docx' "
        "(supported: .htm, .html, .markdown, .md, .pdf, .text, .txt)",
    }
    assert (await sources(db, emb, "gamma orchard"))[0] == "c.html"
    async with db.session() as session:
        assert len(await kb.list_documents(session)) == 3


async def test_reembed_moves_chunks_to_the_current_model(db, emb, clock):
    await add(db, emb, clock, "gate.txt", b"The gate code is 4412.")

    class OtherModel(HashEmbeddings):
        model_id = "test-hash-other"

    other = OtherModel()
    assert await kb.reembed(db, other, collection=kb.SHARED, clock=clock) == 1
    assert await kb.reembed(db, other, collection=kb.SHARED, clock=clock) == 0
    assert await sources(db, other, "gate code") == ["gate.txt"]
    async with db.session() as session:
        models = (await session.execute(select(KbChunk.embedding_model))).scalars().all()
    assert models == ["test-hash-other"]
