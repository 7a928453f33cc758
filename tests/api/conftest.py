from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api.main import create_app
from stores.clock import ManualClock
from stores.db import Database
from stores.settings import Settings
from tests.conftest import PUBLIC_BASE_URL
from tests.fake_embeddings import HashEmbeddings


class AppHarness:
    """The app with its lifespan running, an ASGI client, and a DB handle for assertions."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, database: Database) -> None:
        self.app = app
        self.client = client
        self.database = database


async def start_app(
    settings: Settings, clock: ManualClock, **kwargs: object
) -> AsyncIterator[AppHarness]:
    kwargs.setdefault("embeddings", HashEmbeddings())
    app = create_app(settings, clock=clock, **kwargs)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        await app.state.pipeline_ready  # started in the background (api.main), ready here
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            database = Database(settings.database_url)
            try:
                yield AppHarness(app, client, database)
            finally:
                await database.dispose()


@pytest.fixture
async def harness(settings: Settings, clock: ManualClock) -> AsyncIterator[AppHarness]:
    async for h in start_app(settings, clock):
        yield h


SMS_URL = PUBLIC_BASE_URL + "/twilio/sms"
