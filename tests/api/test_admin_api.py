"""The admin JSON API: who may call it, CSRF, users, conversations, runs, the simulator."""

from __future__ import annotations

import pytest

from api.admin.auth import SESSION_COOKIE, csrf_token_for, new_session_cookie, session_nonce
from tests.api.conftest import start_app
from tests.conftest import ANN_PHONE, BOB_PHONE, make_settings
from tests.helpers import add_user

ADMIN_TOKEN = "admin-token-for-tests-0123456789"
BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
async def admin(sqlite_url, clock):
    async for harness in start_app(make_settings(sqlite_url, admin_token=ADMIN_TOKEN), clock):
        yield harness


def session_headers(settings) -> tuple[dict[str, str], str]:
    """A signed-in browser's cookie header and the CSRF token its pages carry."""
    cookie = new_session_cookie(settings)
    nonce = session_nonce(settings, cookie)
    assert nonce is not None
    return {"Cookie": f"{SESSION_COOKIE}={cookie}"}, csrf_token_for(settings, nonce)


async def test_without_credentials_the_api_answers_401_with_a_json_message(admin):
    response = await admin.client.get("/admin/api/users")
    assert response.status_code == 401
    assert "Bearer" in response.json()["error"]


async def test_a_wrong_bearer_token_is_refused(admin):
    response = await admin.client.get(
        "/admin/api/users", headers={"Authorization": "Bearer not-the-token"}
    )
    assert response.status_code == 401
    assert "does not match" in response.json()["error"]


async def test_a_forged_session_cookie_is_refused(admin):
    cookie = new_session_cookie(make_settings("sqlite://", admin_token="another-token"))
    response = await admin.client.get(
        "/admin/api/users", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}
    )
    assert response.status_code == 401


async def test_without_admin_token_the_admin_is_disabled_for_remote_callers(harness):
    response = await harness.client.get("/admin/api/users")
    assert response.status_code == 503
    assert "ADMIN_TOKEN" in response.json()["error"]
    page = await harness.client.get("/admin")
    assert page.status_code == 503
    assert "The admin is disabled" in page.text


async def test_without_admin_token_a_local_browser_may_read_but_needs_csrf_to_change(
    sqlite_url, clock
):
    settings = make_settings(sqlite_url, public_base_url=None)
    async for harness in start_app(settings, clock):
        local = {"Host": "127.0.0.1:8000"}
        assert (await harness.client.get("/admin/api/users", headers=local)).status_code == 200
        refused = await harness.client.post(
            "/admin/api/users", json={"phone": ANN_PHONE, "name": "Ann"}, headers=local
        )
        assert refused.status_code == 403
        # Through a tunnel the client is loopback too, but the proxy headers give it away.
        tunnelled = {**local, "X-Forwarded-For": "203.0.113.9"}
        assert (await harness.client.get("/admin/api/users", headers=tunnelled)).status_code == 503
        # DNS rebinding: a page on another name that resolves to 127.0.0.1.
        rebound = {"Host": "attacker.example:8000"}
        assert (await harness.client.get("/admin/api/users", headers=rebound)).status_code == 503
        # The page hands out a session whose CSRF token then allows changes.
        page = await harness.client.get("/admin/users", headers=local)
        assert page.status_code == 200
        csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        added = await harness.client.post(
            "/admin/api/users",
            json={"phone": ANN_PHONE, "name": "Ann"},
            headers={
                **local,
                "X-CSRF-Token": csrf,
                "Cookie": f"{SESSION_COOKIE}={page.cookies[SESSION_COOKIE]}",
            },
        )
        assert added.status_code == 201, added.text


async def test_add_list_edit_block_a_user_with_the_bearer_token(admin):
    added = await admin.client.post(
        "/admin/api/users",
        json={"phone": "(415) 555-0123", "name": " Ann ", "timezone": "Europe/Paris"},
        headers=BEARER,
    )
    assert added.status_code == 201, added.text
    user = added.json()
    assert (user["phone"], user["name"], user["timezone"], user["status"]) == (
        ANN_PHONE,
        "Ann",
        "Europe/Paris",
        "active",
    )
    listed = (await admin.client.get("/admin/api/users", headers=BEARER)).json()
    assert [u["phone"] for u in listed] == [ANN_PHONE]

    path = f"/admin/api/users/{user['id']}"
    changed = await admin.client.patch(path, json={"timezone": "America/New_York"}, headers=BEARER)
    assert changed.json()["timezone"] == "America/New_York"
    blocked = await admin.client.patch(path, json={"status": "blocked"}, headers=BEARER)
    assert blocked.json()["status"] == "blocked"
    unblocked = await admin.client.patch(path, json={"status": "active"}, headers=BEARER)
    assert unblocked.json()["status"] == "active"
    fetched = await admin.client.get(path, headers=BEARER)
    assert fetched.json()["timezone"] == "America/New_York"


async def test_an_opted_out_user_cannot_be_opted_back_in_by_the_operator(admin):
    user = await add_user(admin.database, admin.app.state.clock, ANN_PHONE)
    path = f"/admin/api/users/{user.id}"
    assert (await admin.client.patch(path, json={"status": "opted_out"}, headers=BEARER)).json()[
        "status"
    ] == "opted_out"
    for status in ("active", "blocked"):
        response = await admin.client.patch(path, json={"status": status}, headers=BEARER)
        assert response.status_code == 409
        assert "START" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"phone": "not a number", "name": "Ann"}, 422, "phone"),
        ({"phone": ANN_PHONE, "name": "Ann", "timezone": "Mars/Olympus"}, 422, "timezone"),
        ({"phone": ANN_PHONE, "name": "Ann", "timezone": "America"}, 422, "timezone"),
        ({"phone": ANN_PHONE, "name": "   "}, 422, "name"),
        ({"phone": ANN_PHONE}, 422, "body.name"),
        ({"phone": ANN_PHONE, "name": "Ann", "admin": True}, 422, "admin"),
    ],
)
async def test_bad_user_input_gets_a_clear_json_error(admin, body, status, needle):
    response = await admin.client.post("/admin/api/users", json=body, headers=BEARER)
    assert response.status_code == status
    assert needle in response.json()["error"]


async def test_adding_a_registered_number_twice_is_a_409(admin):
    await add_user(admin.database, admin.app.state.clock, ANN_PHONE)
    response = await admin.client.post(
        "/admin/api/users", json={"phone": ANN_PHONE, "name": "Ann"}, headers=BEARER
    )
    assert response.status_code == 409
    assert "already registered" in response.json()["error"]


async def test_unknown_ids_and_routes_are_json_404s(admin):
    assert (await admin.client.get("/admin/api/users/999", headers=BEARER)).json() == {
        "error": "no user with id 999"
    }
    missing = await admin.client.get("/admin/api/nothing-here", headers=BEARER)
    assert missing.status_code == 404 and "error" in missing.json()
    messages = await admin.client.get("/admin/api/conversations/5/messages", headers=BEARER)
    assert messages.status_code == 404


async def test_cookie_sessions_need_the_csrf_token_to_change_anything(admin):
    cookie, csrf = session_headers(admin.app.state.settings)
    assert (await admin.client.get("/admin/api/users", headers=cookie)).status_code == 200
    body = {"phone": ANN_PHONE, "name": "Ann"}
    no_token = await admin.client.post("/admin/api/users", json=body, headers=cookie)
    assert no_token.status_code == 403
    assert "CSRF" in no_token.json()["error"]
    wrong = await admin.client.post(
        "/admin/api/users", json=body, headers={**cookie, "X-CSRF-Token": "0" * 64}
    )
    assert wrong.status_code == 403
    cross_site = await admin.client.post(
        "/admin/api/users",
        json=body,
        headers={**cookie, "X-CSRF-Token": csrf, "Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    ok = await admin.client.post(
        "/admin/api/users", json=body, headers={**cookie, "X-CSRF-Token": csrf}
    )
    assert ok.status_code == 201


async def test_the_simulator_goes_through_the_signed_webhook_and_shows_the_thread(admin):
    await add_user(admin.database, admin.app.state.clock, ANN_PHONE, name="Ann")
    sent = await admin.client.post(
        "/admin/api/simulator/messages",
        json={"phone": ANN_PHONE, "body": "note: gate code 4412"},
        headers=BEARER,
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["replies"] == ["Saved note #1: gate code 4412"]
    thread = (
        await admin.client.get(
            "/admin/api/simulator/thread", params={"phone": ANN_PHONE}, headers=BEARER
        )
    ).json()
    assert thread["registered"] is True
    assert [(i["direction"], i["body"]) for i in thread["items"]] == [
        ("inbound", "note: gate code 4412"),
        ("outbound", "Saved note #1: gate code 4412"),
    ]


async def test_the_simulator_shows_an_unknown_senders_registration_notice(admin):
    sent = await admin.client.post(
        "/admin/api/simulator/messages", json={"phone": BOB_PHONE, "body": "hi"}, headers=BEARER
    )
    notice = admin.app.state.settings.unknown_sender_message
    assert sent.json()["replies"] == [notice]
    thread = (
        await admin.client.get(
            "/admin/api/simulator/thread", params={"phone": BOB_PHONE}, headers=BEARER
        )
    ).json()
    assert thread["registered"] is False
    assert [(i["direction"], i["body"]) for i in thread["items"]] == [
        ("inbound", "hi"),
        ("outbound", notice),
    ]


async def test_the_simulator_refuses_a_bad_number_clearly(admin):
    response = await admin.client.post(
        "/admin/api/simulator/messages", json={"phone": "12", "body": "hi"}, headers=BEARER
    )
    assert response.status_code == 422
    assert response.json()["error"].startswith("phone:")


async def test_conversations_messages_and_runs_list_what_happened(admin):
    user = await add_user(admin.database, admin.app.state.clock, ANN_PHONE, name="Ann")
    for text in ("note: buy milk", "notes"):
        await admin.client.post(
            "/admin/api/simulator/messages", json={"phone": ANN_PHONE, "body": text}, headers=BEARER
        )
    conversations = (await admin.client.get("/admin/api/conversations", headers=BEARER)).json()
    assert [(c["user_name"], c["phone"], c["messages"]) for c in conversations] == [
        ("Ann", ANN_PHONE, 4)
    ]
    messages = (
        await admin.client.get(
            f"/admin/api/conversations/{conversations[0]['id']}/messages", headers=BEARER
        )
    ).json()
    assert [m["direction"] for m in messages] == ["inbound", "outbound"] * 2
    assert all(m["status"] for m in messages)
    runs = (
        await admin.client.get("/admin/api/runs", params={"user_id": user.id}, headers=BEARER)
    ).json()
    assert len(runs) == 2
    newest = runs[0]
    assert newest["outcome"] == "ok"
    assert "plan" in newest["nodes"] and newest["latency_ms"] >= 0
    assert [r["tools"] for r in runs] == [["list_notes"], ["save_note"]]


async def test_status_reports_tables_and_tracing(admin):
    status = (await admin.client.get("/admin/api/status", headers=BEARER)).json()
    assert status["auth"] == "token"
    assert status["tracing"] == "off"
    tables = {t["name"]: t for t in status["tables"]}
    assert tables["users"]["present"] and tables["users"]["rows"] == 0
    assert "reminders" in tables


async def test_the_openapi_schema_documents_the_admin_api_and_its_auth(admin):
    schema = (await admin.client.get("/openapi.json")).json()
    assert "/admin/api/users" in schema["paths"]
    assert "AdminToken" in schema["components"]["securitySchemes"]
    assert not any(path.startswith("/admin/users") for path in schema["paths"])
