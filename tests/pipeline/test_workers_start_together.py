"""Workers started at the same moment on a fresh Postgres database all come up.

A fresh database has our tables (migrated) but not the checkpointer's: every worker runs the
checkpointer's set-up at once, which used to deadlock (see stores.checkpointer._take_setup_lock).
"""

from collections.abc import Iterator

import pytest

from tests.conftest import throwaway_postgres_database
from tests.pipeline.processes import Process, base_env, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

WORKERS = 3


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """A new database migrated to head, with no checkpointer tables yet."""
    with throwaway_postgres_database("sms_assistant_fresh") as url:
        yield url


def test_workers_started_at_once_on_a_fresh_database_all_start(
    fresh_postgres_url, fake_twilio, tmp_path
):
    _, twilio_url = fake_twilio
    env = base_env(fresh_postgres_url, twilio_url)
    workers = [
        Process(["worker"], env, tmp_path, tmp_path / f"worker{n}.log") for n in range(WORKERS)
    ]
    try:

        def all_started() -> bool:
            for worker in workers:
                if worker.proc.poll() is not None:
                    raise AssertionError(f"a worker exited:\n{worker.output()}")
            return all("worker started" in worker.output() for worker in workers)

        # Generous for a shared machine: before the fix they never started at all.
        wait_until(all_started, 60, "every worker to log 'worker started'")
    finally:
        for worker in workers:
            worker.stop()
