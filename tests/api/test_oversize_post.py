"""An unsigned 60 MB POST to the webhook is refused while it streams: the server's memory
does not grow with it."""

import sys

import httpx
import pytest

from tests.live_server import live_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

SIXTY_MB = 60 * 1024 * 1024


def _post(url: str, *, chunked: bool) -> int | None:
    chunk = b"x" * (1024 * 1024)

    def body():
        yield b"Body="
        for _ in range(SIXTY_MB // len(chunk)):
            yield chunk

    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if not chunked:
        headers["Content-Length"] = str(5 + SIXTY_MB)
    try:
        return httpx.post(url, content=body(), headers=headers, timeout=60).status_code
    except httpx.HTTPError:
        return None  # the server answered 413 and closed while we were still sending


def test_a_60_mb_unsigned_post_raises_peak_memory_by_less_than_30_mb(tmp_path, template_sqlite):
    with live_server(tmp_path, template_sqlite) as server:
        assert httpx.get(server.base_url + "/healthz").status_code == 200
        before = server.peak_memory_kb()
        statuses = [_post(server.base_url + "/twilio/sms", chunked=c) for c in (True, False)]
        after = server.peak_memory_kb()
        assert httpx.get(server.base_url + "/healthz").status_code == 200
    assert set(statuses) <= {413, None}
    assert after - before < 30 * 1024, f"peak memory grew by {(after - before) // 1024} MB"
