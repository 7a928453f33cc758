"""FastAPI dependencies: what the app factory put in app.state, as typed Annotated aliases."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request

from stores.clock import Clock
from stores.db import Database
from stores.settings import Settings

if TYPE_CHECKING:
    from messaging.pipeline import Pipeline
    from stores.embeddings import TextEmbeddings


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _database(request: Request) -> Database:
    return request.app.state.database


async def _pipeline(request: Request) -> Pipeline:
    """The pipeline, once it has started (the server answers /healthz before: api.main)."""
    starting: asyncio.Task[Pipeline] = request.app.state.pipeline_ready
    return await asyncio.shield(starting)


def _clock(request: Request) -> Clock:
    return request.app.state.clock


async def pipeline_by(request: Request, deadline: float) -> Pipeline | None:
    """The pipeline if it has started by `deadline` (loop time), else None: a webhook that
    came in while the server was starting leaves its reply to the outbox rather than wait."""
    starting: asyncio.Task[Pipeline] = request.app.state.pipeline_ready
    if not starting.done():
        remaining = deadline - asyncio.get_running_loop().time()
        done, _ = await asyncio.wait({starting}, timeout=max(remaining, 0))
        if not done:
            return None
    return starting.result()


async def _embeddings(request: Request) -> TextEmbeddings:
    await _pipeline(request)  # sets them
    return request.app.state.embeddings


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
ClockDep = Annotated[Clock, Depends(_clock)]
if TYPE_CHECKING:
    PipelineDep = Annotated[Pipeline, Depends(_pipeline)]
    EmbeddingsDep = Annotated[TextEmbeddings, Depends(_embeddings)]
else:  # not imported at run time: see api.main
    PipelineDep = Annotated[Any, Depends(_pipeline)]
    EmbeddingsDep = Annotated[Any, Depends(_embeddings)]
