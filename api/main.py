"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from api import admin
from api.admin import hardening
from api.request_context import RequestContextMiddleware
from api.routes import health, metrics, twilio
from messaging.logs import silence_chatty_loggers
from stores import crypto
from stores.clock import Clock, SystemClock
from stores.db import Database
from stores.settings import Settings, get_settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from messaging.pipeline import Pipeline
    from messaging.transport import Transport
    from stores.embeddings import TextEmbeddings

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

    async def start_pipeline(exits: AsyncExitStack) -> Pipeline:
        # The pipeline (LangGraph, LangChain, the tools, the embeddings) takes longer to import
        # than the rest of the server; /healthz answers meanwhile, and a webhook waits for it
        # (api.deps), as does /readyz.
        await asyncio.to_thread(_import_pipeline)
        from messaging.pipeline import Pipeline
        from stores.checkpointer import open_checkpointer
        from stores.embeddings import shared_embeddings

        app.state.embeddings = embeddings or shared_embeddings(settings)
        checkpointer = await exits.enter_async_context(open_checkpointer(settings.database_url))
        pipeline = Pipeline(
            settings=settings,
            database=app.state.database,
            checkpointer=checkpointer,
            clock=clock,
            chat_model=chat_model,
            embeddings=app.state.embeddings,
            transport=transport,
        )
        exits.push_async_callback(pipeline.stop)
        if settings.runs_embedded_worker():
            pipeline.start_background()
        else:
            log.info("turns and sends are left to `sms-assistant worker` processes")
        app.state.pipeline = pipeline
        return pipeline

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
        app.state.settings = settings
        app.state.clock = clock
        app.state.database = database
        async with AsyncExitStack() as exits:
            starting = asyncio.create_task(start_pipeline(exits), name="pipeline-start")
            starting.add_done_callback(_stop_serving_if_failed)
            app.state.pipeline_ready = starting
            try:
                yield
            finally:
                if not starting.done():
                    starting.cancel()
                with contextlib.suppress(BaseException):
                    await starting
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


def _import_pipeline() -> None:
    """Import what the pipeline needs, in a worker thread, so the event loop serves meanwhile."""
    import messaging.pipeline  # noqa: F401
    import stores.checkpointer
    import stores.embeddings  # noqa: F401


def _stop_serving_if_failed(task: asyncio.Task[Pipeline]) -> None:
    if task.cancelled() or task.exception() is None:
        return
    error = task.exception()
    log.critical(
        "the message pipeline could not start (%s: %s); texts are not answered, /readyz says 503",
        type(error).__name__,
        str(error).splitlines()[0] if str(error) else "",
    )
