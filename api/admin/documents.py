"""Knowledge-base documents in the admin: list, upload, remove (JSON API and the page).

A collection is "shared" (every user's assistant answers from it) or "user:<id>" (one user's
own), as in stores.kb. An upload is stored under the location "admin-upload:<file name>", so
uploading a changed file with the same name to the same collection replaces it, and identical
bytes already in the collection are not stored twice (stores.kb's rules). The type comes from the
file name (.md .txt .pdf .html), like `sms-assistant kb add`; the size is capped by
MEDIA_MAX_BYTES. Embedding runs in a worker thread (stores.kb does that), never on the loop.

The page's upload form posts here without JavaScript too; admin.js sends the same form with
XMLHttpRequest to the API instead, to show the upload's progress.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.admin import service
from api.admin.auth import check_csrf
from api.admin.deps import AdminApiDep
from api.admin.pages import PageDep, PageSession, render
from api.admin.responses import AdminError, json_error
from api.deps import ClockDep, DatabaseDep, EmbeddingsDep, SettingsDep
from stores import kb
from stores.clock import Clock
from stores.db import Database
from stores.documents import CONTENT_TYPES, UnreadableDocument, content_type_for
from stores.embeddings import TextEmbeddings
from stores.models import KbDocument, User
from stores.settings import Settings

MAX_ID = 2**31 - 1
UPLOAD_PREFIX = "admin-upload:"
NAME_CHARS = 200
ACCEPT = ",".join(sorted(CONTENT_TYPES))
_COLLECTION = re.compile(r"^(shared|user:([1-9][0-9]{0,9}))$")
UPLOAD_PATHS = frozenset({"/admin/api/kb/documents", "/admin/documents"})
FORM_OVERHEAD = 64 * 1024
"""Room in an upload's body for the multipart framing and the other fields."""


class KbDocumentOut(BaseModel):
    id: int
    collection: str = Field(description='"shared" or "user:<id>"')
    user_id: int | None
    user_name: str | None
    source: str = Field(description="The name answers cite.")
    location: str
    content_type: str
    size_bytes: int
    chunk_count: int
    created_at: datetime
    updated_at: datetime


class KbUploadResult(BaseModel):
    status: str = Field(description="added, updated, unchanged or duplicate")
    source: str
    chunks: int
    duplicate_of: str | None = Field(description="For a duplicate: the file already holding it.")
    document: KbDocumentOut | None = Field(description="The stored document (None: duplicate).")


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such user or document"},
    422: {"description": "Bad input, or an empty or unreadable file"},
}
UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    413: {"description": "Larger than MEDIA_MAX_BYTES"},
    415: {"description": "Not .md, .txt, .pdf or .html"},
}
api_router = APIRouter(prefix="/admin/api/kb", tags=["admin"])
page_router = APIRouter(prefix="/admin", include_in_schema=False)
CollectionQuery = Annotated[
    str | None,
    Query(max_length=20, description='"shared" or "user:<id>"; all collections when omitted'),
]
DocumentId = Annotated[int, PathParam(ge=1, le=MAX_ID)]


# --- shared logic ------------------------------------------------------------------------------


def parse_collection(value: str) -> int | None:
    """The user id behind a collection name (None: shared); AdminError 422 when malformed."""
    match = _COLLECTION.match(value.strip())
    if match is None or (match.group(2) and int(match.group(2)) > MAX_ID):
        raise AdminError(422, 'collection: must be "shared" or "user:<user id>"')
    return int(match.group(2)) if match.group(2) else None


async def _check_owner(database: Database, user_id: int | None) -> None:
    if user_id is not None:
        async with database.session() as session:
            await service.get_user(session, user_id)  # AdminError 404


async def _user_names(session: AsyncSession) -> dict[int, str]:
    return {row.id: row.name for row in await session.execute(select(User.id, User.name))}


def _out(document: KbDocument, names: dict[int, str]) -> KbDocumentOut:
    return KbDocumentOut(
        id=document.id,
        collection=document.collection,
        user_id=document.user_id,
        user_name=names.get(document.user_id) if document.user_id else None,
        source=document.source,
        location=document.location,
        content_type=document.content_type,
        size_bytes=document.size_bytes,
        chunk_count=document.chunk_count,
        created_at=document.created_at,
        updated_at=document.updated_at,
    )


async def list_documents(database: Database, collection: str | None) -> list[KbDocumentOut]:
    wanted = None
    if collection is not None:
        owner = parse_collection(collection)
        await _check_owner(database, owner)
        wanted = [kb.collection_for(owner)]
    async with database.session() as session:
        documents = await kb.list_documents(session, collections=wanted)
        names = await _user_names(session)
    return [_out(document, names) for document in documents]


async def _document(database: Database, document_id: int) -> KbDocumentOut:
    async with database.session() as session:
        document = await session.get(KbDocument, document_id)
        if document is None:
            raise AdminError(404, f"no document with id {document_id}")
        names = await _user_names(session)
        return _out(document, names)


def clean_name(filename: str | None) -> str:
    """The file's own name (no folders a browser may send), or AdminError 422."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    if not name or name in (".", ".."):
        raise AdminError(422, "file: the upload has no file name")
    if len(name) > NAME_CHARS:
        raise AdminError(422, f"file: the name is longer than {NAME_CHARS} characters")
    return name


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


async def upload(
    database: Database,
    settings: Settings,
    clock: Clock,
    embeddings: TextEmbeddings,
    *,
    collection: str,
    file: UploadFile,
) -> KbUploadResult:
    """Check, read and ingest one uploaded file; AdminError 404/413/415/422 when refused."""
    owner = parse_collection(collection)
    name = clean_name(file.filename)
    try:
        content_type = content_type_for(name)
    except UnreadableDocument as error:
        raise AdminError(415, str(error)) from None
    await _check_owner(database, owner)
    limit = settings.media_max_bytes
    too_large = f"{name}: larger than the {_megabytes(limit)} limit (MEDIA_MAX_BYTES)"
    if file.size is not None and file.size > limit:
        raise AdminError(413, too_large)
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise AdminError(413, too_large)
    if not data.strip():
        raise AdminError(422, f"{name}: the file is empty")
    try:
        result = await kb.ingest(
            database,
            embeddings,
            user_id=owner,
            source=name,
            location=UPLOAD_PREFIX + name,
            data=data,
            content_type=content_type,
            clock=clock,
        )
    except UnreadableDocument as error:
        raise AdminError(422, str(error)) from None
    stored = None
    if result.status != "duplicate":
        async with database.session() as session:
            found = await kb.list_documents(session, collections=[kb.collection_for(owner)])
        match = [d for d in found if d.location == UPLOAD_PREFIX + name]
        stored = await _document(database, match[0].id) if match else None
    return KbUploadResult(
        status=result.status,
        source=result.source,
        chunks=result.chunks,
        duplicate_of=result.duplicate_of,
        document=stored,
    )


async def remove(database: Database, clock: Clock, document_id: int) -> KbDocumentOut:
    """Remove one document and its chunks; AdminError 404 when there is no such document."""
    document = await _document(database, document_id)
    # stores.kb.remove matches a source name or a location: the location is unique in its
    # collection, so this removes exactly this document (unless another's *name* equals it).
    await kb.remove(database, user_id=document.user_id, name=document.location, clock=clock)
    return document


class UploadSizeGuard:
    """Refuses an upload whose body is over MEDIA_MAX_BYTES before anything reads it: FastAPI
    parses a multipart body (spooling files to disk) before the admin's auth dependency runs,
    so without this a stranger could make the server store any amount. Browsers and HTTP
    clients declare the length of a form they send; a body without one is refused (411)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (
            scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in UPLOAD_PATHS
        ):
            await self.app(scope, receive, send)
            return
        settings: Settings = scope["app"].state.settings
        declared = Headers(scope=scope).get("content-length")
        limit = settings.media_max_bytes
        if declared is None or not declared.isdigit():
            refusal = json_error(411, "send the upload with a Content-Length header")
        elif int(declared) > limit + FORM_OVERHEAD:
            refusal = json_error(
                413, f"the upload is larger than the {_megabytes(limit)} limit (MEDIA_MAX_BYTES)"
            )
        else:
            await self.app(scope, receive, send)
            return
        refusal.headers["Connection"] = "close"
        await refusal(scope, receive, send)


# --- JSON API ----------------------------------------------------------------------------------


@api_router.get("/documents", responses=ERRORS)
async def api_list_documents(
    principal: AdminApiDep, database: DatabaseDep, collection: CollectionQuery = None
) -> list[KbDocumentOut]:
    """Documents in every collection, or in one ("shared" or "user:<id>")."""
    return await list_documents(database, collection)


@api_router.post("/documents", status_code=201, responses=UPLOAD_ERRORS)
async def api_upload_document(
    principal: AdminApiDep,
    database: DatabaseDep,
    settings: SettingsDep,
    clock: ClockDep,
    embeddings: EmbeddingsDep,
    file: Annotated[UploadFile, File(description=".md, .txt, .pdf or .html")],
    collection: Annotated[str, Form(max_length=20, description='"shared" or "user:<id>"')],
) -> Response:
    """Add (or replace, by file name) a document; 201 when new, 200 otherwise."""
    result = await upload(database, settings, clock, embeddings, collection=collection, file=file)
    status = 201 if result.status == "added" else 200
    return JSONResponse(result.model_dump(mode="json"), status_code=status)


@api_router.delete("/documents/{document_id}", responses=ERRORS)
async def api_remove_document(
    document_id: DocumentId, principal: AdminApiDep, database: DatabaseDep, clock: ClockDep
) -> KbDocumentOut:
    """Remove a document and its chunks; returns what was removed."""
    return await remove(database, clock, document_id)


# --- the page ----------------------------------------------------------------------------------


async def _page(
    request: Request,
    session: PageSession,
    database: Database,
    settings: Settings,
    collection: str | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    try:
        documents = await list_documents(database, collection or None)
    except AdminError as error:
        documents, collection = [], None
        context.setdefault("error", error.message)
        status_code = max(status_code, error.status)
    async with database.session() as db:
        users = await service.list_users(db)
    return render(
        request,
        "documents.html",
        session,
        status_code,
        documents=documents,
        users=users,
        collection=collection or "",
        accept=ACCEPT,
        limit=_megabytes(settings.media_max_bytes),
        **context,
    )


@page_router.get("/documents")
async def documents_page(
    request: Request,
    session: PageDep,
    database: DatabaseDep,
    settings: SettingsDep,
    collection: CollectionQuery = None,
) -> Response:
    return await _page(request, session, database, settings, collection)


def _back(collection: str, done: str) -> RedirectResponse:
    query = f"?collection={collection}&done={done}" if collection else f"?done={done}"
    return RedirectResponse("/admin/documents" + query, status_code=303)


@page_router.post("/documents")
async def upload_from_page(
    request: Request,
    session: PageDep,
    database: DatabaseDep,
    settings: SettingsDep,
    clock: ClockDep,
    embeddings: EmbeddingsDep,
    file: Annotated[UploadFile | None, File()] = None,
    collection: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The upload form without JavaScript: the same checks, then back to the list."""
    check_csrf(session.principal, csrf_token)
    try:
        if file is None:
            raise AdminError(422, "file: choose a file to upload")
        await upload(database, settings, clock, embeddings, collection=collection, file=file)
    except AdminError as error:
        return await _page(
            request, session, database, settings, None, error.status, error=error.message
        )
    valid = _COLLECTION.match(collection.strip())
    return _back(collection.strip() if valid else "", "document_added")


@page_router.post("/documents/{document_id}/remove")
async def remove_from_page(
    request: Request,
    document_id: DocumentId,
    session: PageDep,
    database: DatabaseDep,
    settings: SettingsDep,
    clock: ClockDep,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    back: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    check_csrf(session.principal, csrf_token)
    try:
        await remove(database, clock, document_id)
    except AdminError as error:
        return await _page(
            request, session, database, settings, None, error.status, error=error.message
        )
    return _back(back if _COLLECTION.match(back) else "", "document_removed")
