"""The `sms-assistant` command line: serve, migrate, manage users, chat, simulate a signed text."""

from __future__ import annotations

import asyncio
import sys
import xml.etree.ElementTree as ET
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import typer
from rich.table import Table
from rich.text import Text

from cli import kb, keys, privacy, worker
from cli.common import (
    describe_error,
    err,
    fail,
    out,
    phone_number,
    require_current_schema,
    run_async,
    say,
    settings,
)
from stores.settings import ConfigurationError, Settings

app = typer.Typer(
    help="A personal assistant you reach by text message.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
users_app = typer.Typer(help="Manage the people who may text the assistant.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from stores.migrate import upgrade

    config = settings()
    try:
        applied = upgrade(config.database_url, on_step=lambda rev: out.print(f"applying {rev} ..."))
    except Exception as error:
        fail(f"migration failed ({describe_error(error)})")
    out.print(
        f"applied {len(applied)} migration(s); schema is current"
        if applied
        else "schema is current"
    )
    if ENCRYPTING_REVISION in applied:
        _encrypt_existing_rows(config)


ENCRYPTING_REVISION = "0009"
"""The migration after which user names, missed-reminder notices and media are encrypted."""


def _encrypt_existing_rows(config: Settings) -> None:
    """Rows written before a column was encrypted are still plain text: encrypt them now
    (what `keys rotate` does), unless the database holds no user yet."""
    from sqlalchemy import func, select

    from stores import crypto, rotation
    from stores.db import Database
    from stores.models import User

    async def run() -> int:
        database = Database(config.database_url)
        try:
            async with database.session() as session:
                if not (await session.execute(select(func.count(User.id)))).scalar_one():
                    return 0
            crypto.configure(config)
            return await rotation.rotate_all(database, crypto.keyring())
        finally:
            await database.dispose()

    try:
        done = asyncio.run(run())
    except ConfigurationError as error:
        fail(str(error), code=2)
    if done:
        out.print(f"encrypted {done} stored value(s) with the newest key")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
) -> None:
    """Run the webhook server."""
    import uvicorn

    from api.main import create_app
    from messaging.logs import configure_logging
    from messaging.tracing import configure_tracing

    config = settings()
    try:
        config.check_can_serve()
    except ConfigurationError as error:
        fail(str(error), code=2)
    require_current_schema(config)
    configure_logging(config.log_level)
    configure_tracing()
    # log_config=None: uvicorn's lines go through our JSON handler instead of its own format.
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        log_level=config.log_level.lower(),
        log_config=None,
        access_log=False,
    )


@users_app.command("add")
def users_add(
    phone: Annotated[str, typer.Option(help="Phone number, E.164 (+14155550123) preferred.")],
    name: Annotated[str, typer.Option(help="What the assistant calls them.")],
    timezone: Annotated[str | None, typer.Option(help="IANA zone, e.g. Europe/Paris.")] = None,
) -> None:
    """Register a person so their texts are answered."""
    from stores import users
    from stores.clock import SystemClock
    from stores.db import Database

    config = settings()
    number = phone_number(phone, config)
    name = name.strip()
    if not name or len(name) > 100:
        fail("--name must be 1 to 100 characters", code=2)
    zone = config.default_timezone if timezone is None else timezone.strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a directory: OSError
        fail(f"--timezone: unknown IANA timezone {zone!r} (e.g. America/New_York)", code=2)
    require_current_schema(config)

    async def add() -> None:
        database = Database(config.database_url)
        try:
            async with database.session() as session:
                await users.add_user(
                    session, phone=number, name=name, timezone=zone, clock=SystemClock()
                )
        finally:
            await database.dispose()

    try:
        run_async(add)
    except users.UserExists as error:
        fail(str(error))
    say(f"added {name} ({number}, {zone})")


@users_app.command("list")
def users_list() -> None:
    """Show registered people."""
    from stores import users
    from stores.db import Database

    config = settings()
    require_current_schema(config)

    async def fetch() -> list[users.User]:
        database = Database(config.database_url)
        try:
            async with database.session() as session:
                return await users.list_users(session)
        finally:
            await database.dispose()

    rows = run_async(fetch)
    if not rows:
        out.print("no users yet: add one with `sms-assistant users add --phone ... --name ...`")
        return
    table = Table("phone", "name", "timezone", "status", "since")
    for user in rows:
        table.add_row(
            *(
                Text(cell)
                for cell in (
                    user.phone,
                    user.name,
                    user.timezone,
                    user.status,
                    f"{user.created_at:%Y-%m-%d}",
                )
            )
        )
    out.print(table)


@users_app.command("remove")
def users_remove(
    phone: Annotated[str, typer.Option(help="The number to remove.")],
) -> None:
    """Remove a person and their conversations, messages and notes."""
    from stores import users
    from stores.db import Database

    config = settings()
    number = phone_number(phone, config)
    require_current_schema(config)

    async def remove() -> bool:
        database = Database(config.database_url)
        try:
            return await users.remove_user_and_history(database, phone=number)
        finally:
            await database.dispose()

    if not run_async(remove):
        fail(f"{number} is not registered")
    say(f"removed {number}")


@app.command()
def chat(
    phone: Annotated[str, typer.Option(help="Chat as this registered user.")],
) -> None:
    """Talk to the assistant in the terminal, through the same graph, without Twilio."""
    from cli.chat import NotRegistered, run_chat

    config = settings()
    number = phone_number(phone, config)
    require_current_schema(config)
    try:
        code = asyncio.run(run_chat(config, number, out))
    except KeyboardInterrupt:
        code = 0
    except NotRegistered as error:
        fail(str(error))
    raise typer.Exit(code)


DEFAULT_WEBHOOK_URL = "http://127.0.0.1:8000/twilio/sms"


@app.command()
def simulate(
    text: Annotated[str, typer.Argument(help="The text message to send.")],
    phone: Annotated[str, typer.Option(help="Send as this number.")],
    url: Annotated[
        str, typer.Option(help="The running server's webhook URL.")
    ] = DEFAULT_WEBHOOK_URL,
) -> None:
    """Post a correctly signed Twilio webhook to a running server and print the reply."""
    from api.signature import sign
    from messaging.limits import operator_sid

    config = settings()
    number = phone_number(phone, config)
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as error:
        fail(f"--url: {url!r} is not a URL ({error})", code=2)
    if target.scheme not in ("http", "https") or not target.host:
        fail(f"--url: {url!r} must be an http(s) URL such as {DEFAULT_WEBHOOK_URL}", code=2)
    if config.twilio_auth_token is None:
        fail("TWILIO_AUTH_TOKEN must be set (the same one the server uses) to sign the request", 2)
    params = [
        ("MessageSid", operator_sid("SMsim")),  # the operator's own: see messaging.limits
        ("AccountSid", config.twilio_account_sid or "AC" + "0" * 32),
        ("From", number),
        ("To", config.twilio_from_number or "+15005550006"),
        ("Body", text),
        ("NumMedia", "0"),
        ("ApiVersion", "2010-04-01"),
    ]
    signed = url
    if config.public_base_url:
        signed = config.public_base_url + target.raw_path.decode("ascii")
    headers = {
        "X-Twilio-Signature": sign(signed, params, config.twilio_auth_token.get_secret_value())
    }
    try:
        response = httpx.post(url, data=dict(params), headers=headers, timeout=30)
    except httpx.HTTPError as error:
        fail(f"could not reach {url} ({type(error).__name__}); is the server running (`make run`)?")
    if response.status_code == 403:
        fail(
            "the server rejected the signature: "
            "use the server's TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL"
        )
    if response.status_code != 200:
        fail(f"the server answered HTTP {response.status_code}: {response.text[:200]}")
    try:
        messages = [m.text or "" for m in ET.fromstring(response.text).iter("Message")]
    except ET.ParseError:
        fail("the server's answer is not TwiML")
    say("\n".join(messages) if messages else "(no reply)")


worker.register(app)
kb.register(app)
keys.register(app)
privacy.register(users_app)


def main() -> None:
    try:
        app()
    except ConfigurationError as error:
        err.print(Text.assemble(("Error:", "red"), " ", str(error)), soft_wrap=True)
        sys.exit(2)
