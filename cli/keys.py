"""`sms-assistant keys generate|rotate`: encryption keys for data at rest."""

from __future__ import annotations

import asyncio

import typer
from cryptography.fernet import Fernet
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from cli import common as cli

keys_app = typer.Typer(help="Encryption keys for data at rest.", no_args_is_help=True)


def register(app: typer.Typer) -> None:

    @keys_app.command("generate")
    def generate() -> None:
        """Print a new key. Put it FIRST in ENCRYPTION_KEY (keep the old ones after it), then
        run `keys rotate`; drop the old keys once it has finished."""
        cli.say(Fernet.generate_key().decode())

    @keys_app.command("rotate")
    def rotate() -> None:
        """Re-encrypt all stored text and checkpoints with the first key of ENCRYPTION_KEY."""
        from stores import crypto, rotation
        from stores.db import Database

        config = cli.settings()
        cli.require_current_schema(config)

        async def run() -> int:
            database = Database(config.database_url)
            try:
                total = await rotation.count_rows(database)
                with Progress(
                    TextColumn("re-encrypting"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    console=cli.out,
                ) as progress:
                    task = progress.add_task("rotate", total=total)
                    return await rotation.rotate_all(
                        database,
                        crypto.keyring(),
                        on_progress=lambda n: progress.advance(task, n),
                    )
            finally:
                await database.dispose()

        done = asyncio.run(run())
        cli.say(f"re-encrypted {done} value(s) with the newest key")

    app.add_typer(keys_app, name="keys")
