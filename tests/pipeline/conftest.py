from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from messaging.sender import OutboxSender
from messaging.transport import TwilioTransport
from stores.clock import ManualClock
from stores.db import Database
from stores.settings import Settings
from tests.conftest import make_settings
from tests.fakes.twilio_api import ACCOUNT_SID, FakeTwilio

FROM_NUMBER = "+15005550006"


@pytest.fixture
def fake_twilio() -> Iterator[tuple[FakeTwilio, str]]:
    fake = FakeTwilio()
    with fake.serve() as server:
        yield fake, server.url


def pipeline_settings(database_url: str, twilio_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_api_base_url": twilio_url,
        "twilio_from_number": FROM_NUMBER,
        "send_retry_initial_seconds": 0.01,
        "worker_poll_seconds": 0.05,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


@pytest.fixture
async def sender(
    database_url: str, fake_twilio: tuple[FakeTwilio, str], clock: ManualClock
) -> AsyncIterator[OutboxSender]:
    settings = pipeline_settings(database_url, fake_twilio[1])
    database = Database(database_url)
    transport = TwilioTransport(settings)
    yield OutboxSender(database=database, transport=transport, settings=settings, clock=clock)
    await transport.close()
    await database.dispose()
