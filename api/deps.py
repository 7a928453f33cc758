"""FastAPI dependencies: what the app factory put in app.state, as typed Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from messaging.pipeline import Pipeline
from stores.clock import Clock
from stores.db import Database
from stores.embeddings import TextEmbeddings
from stores.settings import Settings


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _database(request: Request) -> Database:
    return request.app.state.database


def _pipeline(request: Request) -> Pipeline:
    return request.app.state.pipeline


def _clock(request: Request) -> Clock:
    return request.app.state.clock


def _embeddings(request: Request) -> TextEmbeddings:
    return request.app.state.embeddings


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
PipelineDep = Annotated[Pipeline, Depends(_pipeline)]
ClockDep = Annotated[Clock, Depends(_clock)]
EmbeddingsDep = Annotated[TextEmbeddings, Depends(_embeddings)]
