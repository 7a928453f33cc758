from sqlalchemy import create_engine, inspect

from stores.db import sync_url
from stores.migrate import current_revision, head_revision, pending_revisions, upgrade
from stores.models import Base


def test_migrating_an_empty_database_creates_every_table(tmp_path):
    url = f"sqlite:///{tmp_path}/nested/dir/assistant.db"  # the folder is created too
    steps: list[str] = []
    applied = upgrade(url, on_step=steps.append)
    assert applied == steps == pending_revisions(f"sqlite:///{tmp_path}/other.db")
    assert current_revision(url) == head_revision()
    engine = create_engine(sync_url(url))
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert upgrade(url) == []  # idempotent


def test_migrations_match_the_models(tmp_path):
    """A model change without a migration would fail here (autogenerate finds no difference)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = f"sqlite:///{tmp_path}/a.db"
    upgrade(url)
    engine = create_engine(sync_url(url))
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_migrations_apply_on_postgres(postgres_url):
    assert current_revision(postgres_url) == head_revision()
    engine = create_engine(sync_url(postgres_url))
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
