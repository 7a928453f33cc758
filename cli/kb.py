"""`sms-assistant kb add|list|remove|search` and `sms-assistant index rebuild`."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from cli.common import (
    err,
    fail,
    out,
    phone_number,
    require_current_schema,
    run_async,
    say,
    settings,
)
from stores.settings import Settings

kb_app = typer.Typer(help="Documents the assistant answers from.", no_args_is_help=True)
index_app = typer.Typer(help="The vector search indexes.", no_args_is_help=True)

UserOption = Annotated[
    str | None, typer.Option("--user", help="A registered user's phone: their own documents.")
]
SharedOption = Annotated[bool, typer.Option("--shared", help="The documents every user shares.")]


def register(app: typer.Typer) -> None:
    """Add `kb` and `index` to the main CLI (once)."""
    if not any(group.typer_instance is kb_app for group in app.registered_groups):
        app.add_typer(kb_app, name="kb")
        app.add_typer(index_app, name="index")


async def _user_id(config: Settings, phone: str | None) -> int | None:
    """The user id behind --user (None for the shared collection); fails clearly."""
    from stores import users
    from stores.db import Database

    if phone is None:
        return None
    number = phone_number(phone, config)
    database = Database(config.database_url)
    try:
        async with database.session() as session:
            user = await users.get_user_by_phone(session, phone=number)
    finally:
        await database.dispose()
    if user is None:
        fail(f"{number} is not registered (sms-assistant users add --phone {number} ...)")
    return user.id


def _owner(user: str | None, shared: bool, *, required: bool) -> None:

    if user is not None and shared:
        fail("give --user PHONE or --shared, not both", code=2)
    if required and user is None and not shared:
        fail("say whose documents these are: --user PHONE or --shared", code=2)


@dataclass(frozen=True)
class _File:
    path: Path
    problem: str | None = None


def collect_files(paths: list[Path]) -> tuple[list[_File], int]:
    """Files named, plus the supported files under directories named (hidden ones skipped).
    Returns the files and how many unsupported files inside directories were passed over."""
    from stores.documents import CONTENT_TYPES

    files: list[_File] = []
    passed_over = 0
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if any(part.startswith(".") for part in found.relative_to(path).parts):
                    continue
                if found.is_file():
                    if found.suffix.lower() in CONTENT_TYPES:
                        files.append(_File(found))
                    else:
                        passed_over += 1
        elif path.is_file():
            files.append(_File(path))
        else:
            files.append(_File(path, problem=f"{path}: no such file or directory"))
    return files, passed_over


def _upload(file: _File) -> Any:
    from stores.kb import Upload

    def read() -> bytes:
        if file.problem:
            raise FileNotFoundError(errno.ENOENT, "no such file or directory")
        return file.path.read_bytes()

    return Upload(source=file.path.name, location=str(file.path.resolve()), read=read)


@kb_app.command("add")
def kb_add(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to add.")],
    user: UserOption = None,
    shared: SharedOption = False,
) -> None:
    """Add .md, .txt, .pdf and .html files (directories too). A changed file replaces its old
    chunks; identical content is stored once."""

    _owner(user, shared, required=True)
    config = settings()
    require_current_schema(config)
    files, passed_over = collect_files(paths)
    if not files:
        fail("no .md, .txt, .pdf or .html files found in what was given", code=2)

    async def add_all() -> list[str]:
        from stores import kb
        from stores.clock import SystemClock
        from stores.db import Database
        from stores.documents import UnreadableDocument
        from stores.embeddings import shared_embeddings

        owner = await _user_id(config, user)
        database = Database(config.database_url)
        embeddings = shared_embeddings(config).for_batch()
        uploads = [_upload(file) for file in files]
        errors: list[str] = []
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        try:
            with Progress(*columns, console=err, transient=True) as progress:
                task = progress.add_task("adding", total=len(files))
                outcomes = kb.ingest_many(
                    database, embeddings, user_id=owner, uploads=uploads, clock=SystemClock()
                )
                async for upload, outcome in outcomes:
                    if isinstance(outcome, UnreadableDocument):
                        errors.append(str(outcome))
                        progress.console.print(Text.assemble(("error: ", "red"), errors[-1]))
                    elif outcome.duplicate_of:
                        same = f"same content as {outcome.duplicate_of}"
                        out.print(Text(f"skipped: {outcome.source} ({same})"), soft_wrap=True)
                    else:
                        line = f"{outcome.status}: {outcome.source} ({outcome.chunks} chunks)"
                        out.print(Text(line), soft_wrap=True)
                    progress.update(task, advance=1, description=upload.source[:40])
        finally:
            await database.dispose()
        return errors

    errors = run_async(add_all)
    if passed_over:
        out.print(f"passed over {passed_over} file(s) of other types inside the directories")
    if errors:
        fail(f"{len(errors)} of {len(files)} file(s) could not be added (see above)")
    out.print(f"done: {len(files)} file(s)")


@kb_app.command("list")
def kb_list(user: UserOption = None, shared: SharedOption = False) -> None:
    """List documents: everything, or one user's (--user), or the shared ones (--shared)."""

    _owner(user, shared, required=False)
    config = settings()
    require_current_schema(config)

    async def rows() -> list[Any]:
        from stores import kb
        from stores.db import Database

        owner = await _user_id(config, user)
        database = Database(config.database_url)
        try:
            async with database.session() as session:
                wanted = [kb.collection_for(owner)] if (user or shared) else None
                return await kb.list_documents(session, collections=wanted)
        finally:
            await database.dispose()

    documents = run_async(rows)
    if not documents:
        out.print("no documents")
        return
    table = Table("collection", "source", "chunks", "bytes", "updated", "location")
    for d in documents:
        table.add_row(
            *(
                Text(str(c))
                for c in (
                    d.collection,
                    d.source,
                    d.chunk_count,
                    d.size_bytes,
                    f"{d.updated_at:%Y-%m-%d}",
                    d.location,
                )
            )
        )
    out.print(table)


@kb_app.command("remove")
def kb_remove(
    name: Annotated[str, typer.Argument(help="The file name (as listed) or its full path.")],
    user: UserOption = None,
    shared: SharedOption = False,
) -> None:
    """Remove a document and its chunks."""

    _owner(user, shared, required=True)
    config = settings()
    require_current_schema(config)

    async def remove() -> list[str]:
        from stores import kb
        from stores.clock import SystemClock
        from stores.db import Database

        owner = await _user_id(config, user)
        database = Database(config.database_url)
        try:
            removed = await kb.remove(database, user_id=owner, name=name, clock=SystemClock())
        finally:
            await database.dispose()
        return [d.source for d in removed]

    removed = run_async(remove)
    if not removed:
        fail(f"no document named {name!r} there (see: sms-assistant kb list)")
    say(f"removed {', '.join(removed)}")


@kb_app.command("search")
def kb_search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    user: UserOption = None,
    shared: SharedOption = False,
    top: Annotated[int, typer.Option("--top", "-k", min=1, max=50)] = 5,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score",
            min=0.0,
            max=1.0,
            help="Leave out passages less similar than this (0..1); default: RAG_MIN_SCORE, "
            "the threshold the assistant itself uses.",
        ),
    ] = None,
) -> None:
    """Search the shared documents (--shared, the default), plus one user's own with --user.

    Prints each passage's similarity to the query (0..1) and leaves out what the assistant
    would not use either."""

    if not query.strip():
        fail("the query is empty", code=2)
    _owner(user, shared, required=False)
    config = settings()
    require_current_schema(config)
    threshold = config.rag_min_score if min_score is None else min_score

    async def search() -> tuple[bool, list[Any]]:
        from stores import kb
        from stores.db import Database
        from stores.embeddings import shared_embeddings

        owner = await _user_id(config, user)
        database = Database(config.database_url)
        try:
            async with database.session() as session:
                wanted = [kb.collection_for(owner), kb.SHARED] if owner else [kb.SHARED]
                anything = bool(await kb.list_documents(session, collections=wanted))
            passages = await kb.search(
                database,
                shared_embeddings(config),
                user_id=owner,
                query=query,
                k=top,
                min_score=threshold,
            )
            return anything, passages
        finally:
            await database.dispose()

    anything, passages = run_async(search)
    if not anything:
        out.print("no documents to search")
        return
    if not passages:
        say(
            f"nothing similar enough: no passage reaches {threshold:.2f} "
            "(--min-score; the default is RAG_MIN_SCORE, the assistant's own threshold)"
        )
        return
    for p in passages:
        snippet = " ".join(p.text.split())
        snippet = snippet if len(snippet) <= 160 else snippet[:157] + "..."
        similarity = min(1.0, max(0.0, p.score))  # cosine; below 0 means unrelated: shown as 0
        out.print(
            Text(f"{similarity:.2f}  {p.source}  [{p.collection}]\n      {snippet}"),
            soft_wrap=True,
        )


@index_app.command("rebuild")
def index_rebuild() -> None:
    """Re-embed anything stored with another embedding model, then make every running process
    rebuild its search indexes from the database."""

    config = settings()
    require_current_schema(config)

    async def rebuild() -> tuple[int, int, str]:
        from sqlalchemy import select

        from stores import kb, memories
        from stores.clock import SystemClock
        from stores.db import Database
        from stores.embeddings import shared_embeddings
        from stores.models import KbDocument, Memory

        database = Database(config.database_url)
        embeddings, clock = shared_embeddings(config).for_batch(), SystemClock()
        reembedded = 0
        try:
            async with database.session() as session:
                user_ids = list(
                    (await session.execute(select(Memory.user_id).distinct())).scalars()
                )
                kb_collections = list(
                    (await session.execute(select(KbDocument.collection).distinct())).scalars()
                )
            for user_id in user_ids:
                reembedded += await memories.reembed(
                    database, embeddings, user_id=user_id, clock=clock
                )
            for collection in kb_collections:
                reembedded += await kb.reembed(
                    database, embeddings, collection=collection, clock=clock
                )
        finally:
            await database.dispose()
        return len(user_ids) + len(kb_collections), reembedded, embeddings.model_id

    collections, reembedded, model = run_async(rebuild)
    out.print(
        f"rebuilt {collections} index(es); re-embedded {reembedded} item(s) with {model}; "
        "running processes reload on their next search"
    )
