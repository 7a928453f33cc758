from stores.migrate import head_revision
from tests.api.conftest import start_app
from tests.conftest import make_settings


async def test_healthz_is_up(harness):
    response = await harness.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_a_current_schema(harness):
    response = await harness.client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["schema"] == head_revision()


async def test_readyz_says_what_to_do_when_the_schema_is_missing(tmp_path, clock):
    settings = make_settings(f"sqlite:///{tmp_path}/empty.db")
    async for harness in start_app(settings, clock):
        response = await harness.client.get("/readyz")
        assert response.status_code == 503
        assert "sms-assistant migrate" in response.json()["database"]
