"""Admin hardening: logout revokes the session, failed sign-ins are throttled, pages carry
security headers, and the API schema is not public outside development."""

from api.admin.auth import SESSION_COOKIE
from tests.api.conftest import start_app
from tests.api.test_admin_api import ADMIN_TOKEN
from tests.api.test_admin_pages import admin, field, sign_in  # noqa: F401 - fixture
from tests.conftest import make_settings


async def test_a_signed_out_session_cookie_no_longer_works(admin):  # noqa: F811
    csrf = await sign_in(admin.client)
    old_cookie = admin.client.cookies.get(SESSION_COOKIE)
    out = await admin.client.post("/admin/logout", data={"csrf_token": csrf})
    assert out.status_code == 303
    admin.client.cookies.clear()
    replayed = await admin.client.get(
        "/admin/api/users", headers={"Cookie": f"{SESSION_COOKIE}={old_cookie}"}
    )
    assert replayed.status_code == 401
    assert "signed out" in replayed.json()["error"]
    page = await admin.client.get(
        "/admin/users", headers={"Cookie": f"{SESSION_COOKIE}={old_cookie}"}
    )
    assert page.status_code == 303 and page.headers["location"].startswith("/admin/login")


async def test_failed_sign_ins_are_throttled_per_client(admin):  # noqa: F811
    for _ in range(5):
        wrong = await admin.client.get("/admin/api/users", headers={"Authorization": "Bearer no"})
        assert wrong.status_code == 401
    throttled = await admin.client.get(
        "/admin/api/users", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert throttled.status_code == 429  # even the right token waits now
    assert "too many failed sign-ins" in throttled.json()["error"]
    form = await admin.client.get("/admin/login")
    by_form = await admin.client.post(
        "/admin/login", data={"token": ADMIN_TOKEN, "login_csrf": field(form.text, "login_csrf")}
    )
    assert by_form.status_code == 429
    assert SESSION_COOKIE not in by_form.cookies


async def test_admin_pages_carry_security_headers(admin):  # noqa: F811
    for path in ("/admin/login", "/admin/api/users"):
        response = await admin.client.get(path)
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "default-src 'self'" in response.headers["content-security-policy"]


async def test_the_api_schema_needs_the_admin_token_outside_development(sqlite_url, clock):
    settings = make_settings(sqlite_url, admin_token=ADMIN_TOKEN, env="production")
    async for harness in start_app(settings, clock):
        for path in ("/openapi.json", "/docs"):
            assert (await harness.client.get(path)).status_code == 401
            allowed = await harness.client.get(
                path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
            )
            assert allowed.status_code == 200
        schema = (
            await harness.client.get(
                "/openapi.json", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
            )
        ).json()
        assert "/admin/api/users" in schema["paths"]


async def test_the_api_schema_is_open_in_development(sqlite_url, clock):
    async for harness in start_app(make_settings(sqlite_url, admin_token=ADMIN_TOKEN), clock):
        assert (await harness.client.get("/openapi.json")).status_code == 200
        assert (await harness.client.get("/docs")).status_code == 200
