"""`sms-assistant users purge|export --phone P`: a person's right to erasure and to a copy."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import common as cli


def register(users_app: typer.Typer) -> None:

    @users_app.command("purge")
    def purge(
        phone: Annotated[str, typer.Option(help="The number whose data to erase.")],
        yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    ) -> None:
        """Erase a person everywhere: rows, vectors, summaries, checkpoints, inbox, outbox."""
        from stores import privacy
        from stores.db import Database

        config = cli.settings()
        number = cli.phone_number(phone, config)
        cli.require_current_schema(config)
        if not yes and not typer.confirm(f"Erase all data of {number}? This cannot be undone"):
            cli.fail("nothing erased", code=1)

        async def run() -> bool:
            database = Database(config.database_url)
            try:
                return await privacy.purge(database, phone=number)
            finally:
                await database.dispose()

        if not asyncio.run(run()):
            cli.fail(f"{number} is not registered")
        cli.say(f"erased {number} (consent records are kept as proof of opt-outs)")

    @users_app.command("export")
    def export(
        phone: Annotated[str, typer.Option(help="The number whose data to export.")],
        output: Annotated[
            Path | None, typer.Option(help="Write the JSON here instead of to stdout.")
        ] = None,
    ) -> None:
        """Write everything stored about a person as JSON (decrypted)."""
        from stores import privacy
        from stores.db import Database

        config = cli.settings()
        number = cli.phone_number(phone, config)
        cli.require_current_schema(config)

        async def run() -> dict[str, Any] | None:
            database = Database(config.database_url)
            try:
                return await privacy.export(database, phone=number)
            finally:
                await database.dispose()

        data = asyncio.run(run())
        if data is None:
            cli.fail(f"{number} is not registered")
        text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
        if output is None:
            print(text)
            return
        try:
            output.write_text(text + "\n", encoding="utf-8")
            output.chmod(0o600)
        except OSError as error:
            cli.fail(f"cannot write {output}: {error.strerror}")
        cli.say(f"wrote {output}")
