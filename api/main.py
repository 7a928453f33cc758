"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from langchain_core.language_models import BaseChatModel

from api import admin
from api.admin import hardening
from api.request_context import RequestContextMiddleware
from api.routes import health, metrics, twilio
from messaging.logs import silence_chatty_loggers
from messaging.pipeline import Pipeline
from messaging.transport import Transport
from stores import crypto
from stores.checkpointer import open_checkpointer
from stores.clock import Clock, SystemClock
from stores.db import Database
from stores.embeddings import TextEmbeddings, shared_embeddings
from stores.settings import Settings, get_settings

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    chat_model: BaseChatModel | None = None,
    embeddings: TextEmbeddings | None = None,
    transport: Transport | None = None,
) -> FastAPI:
    """Build the app. Raises ConfigurationError (one clear line) when it cannot serve."""
    settings = settings or get_settings()
    settings.check_can_serve()
    silence_chatty_loggers()
    clock = clock or SystemClock()
    embeddings = embeddings or shared_embeddings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.twilio_validate_signature:
            log.warning(
                "TWILIO_VALIDATE_SIGNATURE=false: anyone who can reach this server can text "
                "as any user. Never run like this on a public address."
            )
        await asyncio.to_thread(crypto.configure, settings)  # may create the dev key file
        database = Database(settings.database_url)
        await database.prepare()
        async with open_checkpointer(settings.database_url) as checkpointer:
            app.state.settings = settings
            app.state.clock = clock
            app.state.database = database
            app.state.embeddings = embeddings
            app.state.pipeline = pipeline = Pipeline(
                settings=settings,
                database=database,
                checkpointer=checkpointer,
                clock=clock,
                chat_model=chat_model,
                embeddings=embeddings,
                transport=transport,
            )
            if settings.runs_embedded_worker():
                pipeline.start_background()
            else:
                log.info("turns and sends are left to `sms-assistant worker` processes")
            try:
                yield
            finally:
                await pipeline.stop()
                await database.dispose()

    app = FastAPI(
        title="sms-assistant",
        version="0.1.0",
        lifespan=lifespan,
        # Our own routes: open in development, behind the admin's authentication otherwise.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    hardening.install_docs(app, settings)
    app.include_router(twilio.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    admin.install(app)
    app.add_middleware(hardening.SecurityHeaders)
    app.add_middleware(RequestContextMiddleware)
    return app
