"""Knowledge-base documents in the admin: the JSON API (auth, CSRF, each refusal, upload -> list
-> remove, answers from the upload) and the page's form that works without JavaScript."""

from __future__ import annotations

import pytest

from stores import kb
from tests.api.conftest import start_app
from tests.api.test_admin_api import ADMIN_TOKEN, BEARER, session_headers
from tests.api.test_admin_pages import sign_in
from tests.conftest import ANN_PHONE, make_settings
from tests.helpers import add_user

URL = "/admin/api/kb/documents"
LIMIT = 4096
FACT = b"The wifi password is maple-7734.\n\nGuests sleep in the blue room."


@pytest.fixture
async def admin(sqlite_url, clock):
    settings = make_settings(sqlite_url, admin_token=ADMIN_TOKEN, media_max_bytes=LIMIT)
    async for harness in start_app(settings, clock):
        yield harness


def upload(name: str, data: bytes, collection: str) -> dict[str, object]:
    return {
        "files": {"file": (name, data, "application/octet-stream")},
        "data": {"collection": collection},
    }


async def test_upload_list_search_and_remove_for_a_user_and_shared(admin):
    ann = await add_user(admin.database, admin.app.state.clock, ANN_PHONE)
    mine = f"user:{ann.id}"
    added = await admin.client.post(URL, headers=BEARER, **upload("house.txt", FACT, mine))
    assert added.status_code == 201, added.text
    body = added.json()
    assert (body["status"], body["source"], body["chunks"]) == ("added", "house.txt", 1)
    document = body["document"]
    assert (document["collection"], document["user_id"], document["user_name"]) == (
        mine,
        ann.id,
        "Ann",
    )
    assert document["location"] == "admin-upload:house.txt" and document["size_bytes"] == len(FACT)

    shared = await admin.client.post(
        URL,
        headers=BEARER,
        **upload("C:\\fakepath\\rules.md", b"# Rules\nNo shoes inside.", "shared"),
    )
    assert shared.status_code == 201, shared.text
    assert shared.json()["document"]["source"] == "rules.md"  # folders a browser sends are dropped

    everything = (await admin.client.get(URL, headers=BEARER)).json()
    assert {(d["collection"], d["source"]) for d in everything} == {
        ("shared", "rules.md"),
        (mine, "house.txt"),
    }
    only_ann = (await admin.client.get(URL, params={"collection": mine}, headers=BEARER)).json()
    assert [d["source"] for d in only_ann] == ["house.txt"]
    only_shared = (
        await admin.client.get(URL, params={"collection": "shared"}, headers=BEARER)
    ).json()
    assert [d["source"] for d in only_shared] == ["rules.md"]

    passages = await kb.search(
        admin.database,
        admin.app.state.embeddings,
        user_id=ann.id,
        query="wifi password",
        k=2,
        min_score=0.1,
    )
    assert passages and passages[0].source == "house.txt"

    # The same name again with other bytes replaces it; the same bytes again change nothing.
    again = await admin.client.post(URL, headers=BEARER, **upload("house.txt", FACT, mine))
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    changed = await admin.client.post(
        URL, headers=BEARER, **upload("house.txt", FACT + b" Pool closes at 9.", mine)
    )
    assert changed.status_code == 200 and changed.json()["status"] == "updated"
    twin = await admin.client.post(
        URL, headers=BEARER, **upload("copy.md", b"# Rules\nNo shoes inside.", "shared")
    )
    assert twin.status_code == 200, twin.text
    assert (twin.json()["status"], twin.json()["duplicate_of"], twin.json()["document"]) == (
        "duplicate",
        "rules.md",
        None,
    )

    removed = await admin.client.delete(f"{URL}/{document['id']}", headers=BEARER)
    assert removed.status_code == 200 and removed.json()["source"] == "house.txt"
    assert (await admin.client.get(URL, params={"collection": mine}, headers=BEARER)).json() == []
    left = await kb.search(
        admin.database,
        admin.app.state.embeddings,
        user_id=ann.id,
        query="wifi password",
        k=4,
        min_score=-1,
    )
    assert all(p.source != "house.txt" for p in left)
    gone = await admin.client.delete(f"{URL}/{document['id']}", headers=BEARER)
    assert gone.status_code == 404 and "no document" in gone.json()["error"]


async def test_refusals_are_json_with_fitting_statuses(admin):
    ann = await add_user(admin.database, admin.app.state.clock, ANN_PHONE)
    mine = f"user:{ann.id}"

    async def refused(name: str, data: bytes, collection: str, status: int, words: str) -> None:
        response = await admin.client.post(URL, headers=BEARER, **upload(name, data, collection))
        assert response.status_code == status, response.text
        assert words in response.json()["error"]

    await refused("photo.jpg", b"\xff\xd8\xff", mine, 415, "unsupported file type '.jpg'")
    await refused("noext", b"text", mine, 415, "unsupported file type")
    await refused("big.txt", b"x" * (LIMIT + 1), mine, 413, "larger than the 4 KB limit")
    await refused("empty.txt", b"", mine, 422, "empty")
    await refused("blank.md", b"  \n\n ", mine, 422, "empty")
    await refused("binary.txt", b"abc\x00def", mine, 422, "binary")
    await refused("scan.pdf", b"%PDF-1.4 not really a pdf", mine, 422, "scan.pdf")
    await refused("a.txt", FACT, "user:999", 404, "no user with id 999")
    await refused("a.txt", FACT, "everyone", 422, "collection")
    await refused("a.txt", FACT, "user:99999999999", 422, "collection")
    no_file = await admin.client.post(URL, headers=BEARER, data={"collection": "shared"})
    assert no_file.status_code == 422 and "file" in no_file.json()["error"]
    not_multipart = await admin.client.post(URL, headers=BEARER, json={"collection": "shared"})
    assert not_multipart.status_code == 422 and "error" in not_multipart.json()

    unknown = await admin.client.get(URL, params={"collection": "user:999"}, headers=BEARER)
    assert unknown.status_code == 404
    bad = await admin.client.get(URL, params={"collection": "nope"}, headers=BEARER)
    assert bad.status_code == 422
    assert (await admin.client.delete(f"{URL}/0", headers=BEARER)).status_code == 422
    assert (await admin.client.get(URL, headers=BEARER)).json() == []  # nothing got in


async def test_the_api_needs_the_admin_and_cookie_uploads_need_the_csrf_token(admin):
    data = upload("a.txt", FACT, "shared")
    assert (await admin.client.get(URL)).status_code == 401
    stranger = await admin.client.post(URL, **data)
    assert stranger.status_code == 401 and "error" in stranger.json()
    wrong = await admin.client.post(URL, headers={"Authorization": "Bearer nope"}, **data)
    assert wrong.status_code == 401

    cookie, csrf = session_headers(admin.app.state.settings)
    no_token = await admin.client.post(URL, headers=cookie, **data)
    assert no_token.status_code == 403 and "CSRF" in no_token.json()["error"]
    forged = await admin.client.post(URL, headers={**cookie, "X-CSRF-Token": "forged"}, **data)
    assert forged.status_code == 403
    cross_site = {**cookie, "X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    assert (await admin.client.post(URL, headers=cross_site, **data)).status_code == 403
    assert (await admin.client.get(URL, headers=BEARER)).json() == []

    ok = await admin.client.post(URL, headers={**cookie, "X-CSRF-Token": csrf}, **data)
    assert ok.status_code == 201, ok.text
    doc_id = ok.json()["document"]["id"]
    assert (await admin.client.get(URL, headers=cookie)).status_code == 200
    assert (await admin.client.delete(f"{URL}/{doc_id}", headers=cookie)).status_code == 403
    assert (await admin.client.delete(f"{URL}/{doc_id}")).status_code == 401
    removed = await admin.client.delete(f"{URL}/{doc_id}", headers={**cookie, "X-CSRF-Token": csrf})
    assert removed.status_code == 200


async def test_the_documents_page_uploads_and_removes_without_javascript(admin):
    ann = await add_user(admin.database, admin.app.state.clock, ANN_PHONE, name="Ann <b>")
    csrf = await sign_in(admin.client)
    page = await admin.client.get("/admin/documents")
    assert page.status_code == 200
    html = page.text
    for needed in (
        '<label for="kb-file">',
        '<label for="kb-collection">',
        '<label for="kb-progress">',
        'enctype="multipart/form-data"',
        f'value="user:{ann.id}"',
        "Ann &lt;b&gt;",
    ):
        assert needed in html, needed
    assert "Ann <b>" not in html

    form = {"csrf_token": csrf, "collection": f"user:{ann.id}"}
    files = {"file": ("house.txt", FACT, "text/plain")}
    refused = await admin.client.post(
        "/admin/documents", data={**form, "csrf_token": "x"}, files=files
    )
    assert refused.status_code == 403
    posted = await admin.client.post("/admin/documents", data=form, files=files)
    assert posted.status_code == 303, posted.text
    assert (
        posted.headers["location"]
        == f"/admin/documents?collection=user:{ann.id}&done=document_added"
    )
    listed = await admin.client.get(posted.headers["location"])
    assert "Document uploaded." in listed.text and 'data-document="house.txt"' in listed.text

    wrong_type = await admin.client.post(
        "/admin/documents", data=form, files={"file": ("x.exe", b"MZ", "application/octet-stream")}
    )
    assert wrong_type.status_code == 415 and "unsupported file type" in wrong_type.text

    doc_id = (await admin.client.get(URL, headers=BEARER)).json()[0]["id"]
    removed = await admin.client.post(
        f"/admin/documents/{doc_id}/remove", data={"csrf_token": csrf, "back": f"user:{ann.id}"}
    )
    assert removed.status_code == 303
    after = await admin.client.get(removed.headers["location"])
    assert "Document removed." in after.text and "house.txt" not in after.text
    user_page = await admin.client.get(f"/admin/users/{ann.id}")
    assert f'href="/admin/documents?collection=user:{ann.id}"' in user_page.text


async def test_an_oversized_upload_is_refused_before_it_is_read_even_for_strangers(admin):
    # FastAPI parses a form before the auth dependency runs: the guard answers first.
    huge = upload("big.txt", b"x" * (LIMIT + 70 * 1024), "shared")
    for path in (URL, "/admin/documents"):
        response = await admin.client.post(path, **huge)
        assert response.status_code == 413, response.text
        assert "larger than the 4 KB limit" in response.json()["error"]

    async def chunks():
        yield b"--x\r\n"

    streamed = await admin.client.post(
        URL, content=chunks(), headers={**BEARER, "Content-Type": "multipart/form-data; boundary=x"}
    )
    assert streamed.status_code == 411 and "Content-Length" in streamed.json()["error"]
    assert (await admin.client.get(URL, headers=BEARER)).json() == []
