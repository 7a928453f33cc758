"""`sms-assistant worker` (turns, sends; for Postgres scale-out) and `sending status|resume`."""

from __future__ import annotations

import asyncio
import logging
import signal

import typer

from cli import common as cli
from stores.settings import Settings

sending_app = typer.Typer(help="Outbound sending: see or lift a pause.", no_args_is_help=True)
log = logging.getLogger(__name__)


async def run_worker(config: Settings) -> None:
    """Run the turn worker and the outbox sender until SIGINT/SIGTERM."""
    from messaging.pipeline import Pipeline
    from stores.checkpointer import open_checkpointer
    from stores.clock import SystemClock
    from stores.db import Database

    database = Database(config.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with open_checkpointer(config.database_url) as checkpointer:
            pipeline = Pipeline(
                settings=config,
                database=database,
                checkpointer=checkpointer,
                clock=SystemClock(),
            )
            pipeline.start_background()
            log.info("worker started: turns and outbound sends")
            await stop.wait()
            await pipeline.stop()
    finally:
        await database.dispose()


def register(app: typer.Typer) -> None:

    @app.command()
    def worker() -> None:
        """Run turns and outbound sends without the web server (scale-out on Postgres)."""
        from messaging.logs import configure_logging

        config = cli.settings()
        cli.require_current_schema(config)
        configure_logging(config.log_level)
        asyncio.run(run_worker(config))

    @sending_app.command("status")
    def sending_status() -> None:
        """Say whether outbound sending is paused, and why."""
        from stores import flags
        from stores.db import Database

        config = cli.settings()
        cli.require_current_schema(config)

        async def read() -> str | None:
            database = Database(config.database_url)
            try:
                async with database.session() as session:
                    return await flags.get_flag(session, name=flags.SENDING_PAUSED)
            finally:
                await database.dispose()

        reason = cli.run_async(read)
        cli.say(f"sending is PAUSED: {reason}" if reason else "sending is running")

    @sending_app.command("resume")
    def sending_resume() -> None:
        """Lift a pause (after fixing the Twilio credentials)."""
        from stores import flags
        from stores.db import Database

        config = cli.settings()
        cli.require_current_schema(config)

        async def clear() -> bool:
            database = Database(config.database_url)
            try:
                async with database.session() as session:
                    return await flags.clear_flag(session, name=flags.SENDING_PAUSED)
            finally:
                await database.dispose()

        cli.say("sending resumed" if cli.run_async(clear) else "sending was not paused")

    app.add_typer(sending_app, name="sending")
