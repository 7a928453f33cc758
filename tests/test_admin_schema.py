"""schemathesis against the admin API's own OpenAPI schema, on the real server: whatever it is
sent, it never answers 5xx, and every refusal is JSON with an `error` message.

Bounded: a handful of examples per operation, no shrinking deadline, one server per module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live_server import ADMIN_TOKEN, Server, live_server

schemathesis = pytest.importorskip("schemathesis", reason="pip install -e '.[dev]'")
from hypothesis import HealthCheck, given, settings  # noqa: E402  (after the importorskip)

BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
EXAMPLES_PER_OPERATION = 15


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, template_sqlite: Path) -> Iterator[Server]:
    with live_server(tmp_path_factory.mktemp("schema"), template_sqlite) as running:
        # A user, so ids and phone numbers the generator tries can hit something real.
        httpx.post(
            running.base_url + "/admin/api/users",
            json={"phone": "+14155550100", "name": "Schema"},
            headers=BEARER,
        ).raise_for_status()
        yield running


@pytest.mark.slow
def test_the_admin_api_never_answers_5xx(server: Server) -> None:
    # schemathesis's own pytest plugin does not run under pytest 9, so drive its strategies
    # with hypothesis directly: one bounded run per operation of the admin API.
    document = httpx.get(server.base_url + "/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document).include(path_regex=r"^/admin/api/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, "the admin API's operations are missing from the schema"
    problems: list[str] = []

    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def exercise(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(base_url=server.base_url, headers=BEARER, timeout=30)
            where = f"{case.method} {case.formatted_path}"
            if response.status_code >= 500:
                problems.append(f"{where} -> {response.status_code}: {response.text[:200]}")
            elif response.status_code >= 400:
                try:
                    error = response.json().get("error")
                except ValueError:
                    error = None
                if not (isinstance(error, str) and error):
                    problems.append(f"{where} -> {response.status_code} without a JSON error")

        exercise()
    assert not problems, "\n".join(problems[:20]) + f"\nserver log:\n{server.tail()}"
