"""The admin's HTML pages: sign-in, forms with CSRF tokens, refusals rendered as pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from api.admin.auth import SESSION_COOKIE
from stores.models import User
from tests.api.conftest import start_app
from tests.api.test_admin_api import ADMIN_TOKEN
from tests.conftest import ANN_PHONE, make_settings
from tests.helpers import add_user

PAGES = [
    "/admin",
    "/admin/users",
    "/admin/conversations",
    "/admin/runs",
    "/admin/data",
    "/admin/simulator",
]


@pytest.fixture
async def admin(sqlite_url, clock):
    async for harness in start_app(make_settings(sqlite_url, admin_token=ADMIN_TOKEN), clock):
        yield harness


def field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} field"
    return match.group(1)


async def sign_in(client) -> str:
    """Sign in through the login form; returns the CSRF token the pages then carry."""
    form = await client.get("/admin/login")
    response = await client.post(
        "/admin/login",
        data={"token": ADMIN_TOKEN, "login_csrf": field(form.text, "login_csrf")},
    )
    assert response.status_code == 303, response.text
    assert SESSION_COOKIE in response.cookies
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = await client.get("/admin/users")
    return field(page.text, "csrf_token")


async def test_pages_send_strangers_to_the_sign_in_form(admin):
    for path in PAGES:
        response = await admin.client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin/login")


async def test_a_wrong_token_or_a_stale_form_does_not_sign_in(admin):
    form = await admin.client.get("/admin/login")
    wrong = await admin.client.post(
        "/admin/login", data={"token": "nope", "login_csrf": field(form.text, "login_csrf")}
    )
    assert wrong.status_code == 401
    assert "not the ADMIN_TOKEN" in wrong.text
    admin.client.cookies.clear()
    forged = await admin.client.post("/admin/login", data={"token": ADMIN_TOKEN, "login_csrf": "x"})
    assert forged.status_code == 403
    assert SESSION_COOKIE not in forged.cookies


async def test_every_page_renders_for_a_signed_in_operator(admin):
    await add_user(admin.database, admin.app.state.clock, ANN_PHONE, name="Ann <b>")
    await sign_in(admin.client)
    for path in PAGES:
        response = await admin.client.get(path)
        assert response.status_code == 200, path
        assert '<main id="main"' in response.text
        assert "Ann <b>" not in response.text
    users = await admin.client.get("/admin/users")
    assert "Ann &lt;b&gt;" in users.text  # names are escaped, never markup


async def test_the_add_user_form_needs_its_csrf_token(admin):
    csrf = await sign_in(admin.client)
    data = {"phone": ANN_PHONE, "name": "Ann", "timezone": "Europe/Paris"}
    refused = await admin.client.post("/admin/users", data=data)
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    added = await admin.client.post("/admin/users", data={**data, "csrf_token": csrf})
    assert added.status_code == 303
    assert added.headers["location"] == "/admin/users?done=user_added"
    page = await admin.client.get(added.headers["location"])
    assert "User added." in page.text and ANN_PHONE in page.text
    async with admin.database.session() as session:
        user = (await session.execute(select(User))).scalar_one()
    assert (user.name, user.timezone) == ("Ann", "Europe/Paris")


async def test_a_refused_form_shows_the_reason_and_keeps_what_was_typed(admin):
    csrf = await sign_in(admin.client)
    response = await admin.client.post(
        "/admin/users",
        data={"phone": ANN_PHONE, "name": "Ann", "timezone": "Nowhere/Land", "csrf_token": csrf},
    )
    assert response.status_code == 422
    assert "unknown IANA timezone" in response.text
    assert 'value="Nowhere/Land"' in response.text


async def test_block_edit_and_opt_out_through_the_forms(admin):
    user = await add_user(admin.database, admin.app.state.clock, ANN_PHONE)
    csrf = await sign_in(admin.client)
    path = f"/admin/users/{user.id}"
    for data in ({"status": "blocked"}, {"timezone": "Asia/Tokyo"}, {"status": "opted_out"}):
        response = await admin.client.post(path, data={**data, "csrf_token": csrf})
        assert response.status_code == 303, response.text
    again = await admin.client.post(path, data={"status": "active", "csrf_token": csrf})
    assert again.status_code == 409
    assert "START" in again.text
    async with admin.database.session() as session:
        stored = await session.get(User, user.id)
    assert (stored.status, stored.timezone) == ("opted_out", "Asia/Tokyo")
    detail = await admin.client.get(path)
    assert "opted out" in detail.text and "Asia/Tokyo" in detail.text


async def test_signing_out_needs_the_token_and_ends_the_session(admin):
    csrf = await sign_in(admin.client)
    response = await admin.client.post("/admin/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert (await admin.client.get("/admin")).status_code == 303


async def test_an_unknown_user_page_is_a_404_page(admin):
    await sign_in(admin.client)
    response = await admin.client.get("/admin/users/4242")
    assert response.status_code == 404
    assert "no user with id 4242" in response.text
    assert response.headers["content-type"].startswith("text/html")
