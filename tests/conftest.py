"""Shared fixtures: a migrated SQLite file per test (copied from a template), optional Postgres,
settings that ignore the developer's .env, a movable clock, and a signed-webhook helper."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from stores import crypto
from stores.clock import ManualClock
from stores.db import Database
from stores.migrate import upgrade
from stores.settings import Settings

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
TEST_ENCRYPTION_KEY = "x3Xw4mQ1Yd4xvN0nB6Jc0Ff0yq7rOJq2h5mXnR3t9Ks="
PUBLIC_BASE_URL = "https://assistant.example.com"
ANN_PHONE = "+14155550123"
BOB_PHONE = "+447700900123"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's settings, LLM keys or tracing switches."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    for name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGSMITH_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TWILIO_VALIDATE_SIGNATURE", "false")  # settings from env need no token
    monkeypatch.setenv("ENCRYPTION_KEY", TEST_ENCRYPTION_KEY)
    # Tests build their own Settings and Context; only the keyring is process-wide (SQLAlchemy
    # column types encrypt with it), so each test starts with the test key loaded.
    crypto.reset()
    crypto.configure(Settings(_env_file=None))  # type: ignore[call-arg]
    yield
    crypto.reset()


@pytest.fixture(scope="session")
def template_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "assistant.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, template_sqlite: Path) -> str:
    path = tmp_path / "data" / "assistant.db"
    path.parent.mkdir()
    shutil.copy(template_sqlite, path)
    return f"sqlite:///{path}"


def postgres_admin_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG_URL)


@contextmanager
def throwaway_postgres_database(prefix: str, *, migrate: bool = True) -> Iterator[str]:
    """A new database on the test server, dropped afterwards. Skips (saying how to run them)
    when no server answers; .ci/run starts the local one, so CI always runs these tests."""
    admin_url = postgres_admin_url()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        admin.dispose()
        pytest.skip(
            f"PostgreSQL not reachable at {admin_url} ({type(error).__name__}); these tests run "
            "when it is (.ci/run starts it; or set TEST_POSTGRES_URL)"
        )
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throwaway Postgres database for this test session, migrated to head."""
    with throwaway_postgres_database("sms_assistant_test") as url:
        yield url


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The session's Postgres database, emptied before each test."""
    engine = create_engine(postgres_database)
    with engine.begin() as connection:
        tables = (
            connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                    "AND tablename NOT IN ('alembic_version', 'checkpoint_migrations')"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            quoted = ", ".join(f'"{t}"' for t in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs on SQLite and on Postgres."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def database(sqlite_url: str) -> AsyncIterator[Database]:
    db = Database(sqlite_url)
    yield db
    await db.dispose()


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_validate_signature": True,
        "public_base_url": PUBLIC_BASE_URL,
        "serve_embedded_worker": "on",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return make_settings(sqlite_url)


def run(coro: object) -> object:
    """Run a coroutine from a synchronous test (CLI tests)."""
    return asyncio.run(coro)  # type: ignore[arg-type]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests (servers, subprocesses) first: with `-n` the long ones then overlap
    instead of one of them running alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


__all__ = ["ANN_PHONE", "AUTH_TOKEN", "BOB_PHONE", "PUBLIC_BASE_URL", "httpx", "make_settings"]
