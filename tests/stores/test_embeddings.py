"""The real default model (from installed packages, no download) and the OpenAI-compatible route."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import numpy as np
import pytest

from stores import memories
from stores.embeddings import (
    LOCAL_DIMENSION,
    LocalMiniLMEmbeddings,
    OpenAICompatibleEmbeddings,
    build_embeddings,
)
from stores.settings import ConfigurationError, load_settings
from tests.helpers import add_user


@pytest.fixture(scope="module")
def minilm() -> LocalMiniLMEmbeddings:
    return LocalMiniLMEmbeddings()


def test_building_the_model_loads_nothing_until_first_use():
    model = LocalMiniLMEmbeddings()
    assert model._session is None


def test_vectors_are_unit_length_and_batching_changes_nothing(minilm):
    texts = ["short", "a somewhat longer sentence about the gate code " * 3, "wifi"]
    together = minilm.embed_array(texts)
    alone = np.stack([minilm.embed_array([t])[0] for t in texts])
    assert together.shape == (3, LOCAL_DIMENSION)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-4)


def test_long_texts_use_256_tokens_not_the_files_128(minilm):
    minilm.warm_up()
    assert len(minilm._tokenizer.encode("word " * 1000).ids) == 256
    # The tail of a 200-token text still counts (it would be cut at 128).
    head = "the meeting notes cover budget items " * 20
    with_tail = minilm.embed_array([head + "and finally the wifi password is hunter2"])[0]
    without = minilm.embed_array([head])[0]
    assert float(with_tail @ without) < 0.999


async def test_recall_by_meaning_with_the_real_model(database, clock, minilm):
    """A paraphrase with no shared keyword finds the fact; unrelated facts stay below the bar."""
    ann = await add_user(database, clock, "+14155550123")
    for fact in (
        "My daughter is allergic to peanuts",
        "I park on level 3 of the garage",
        "The wifi password is hunter2",
        "gate code is 4412",
    ):
        await memories.remember(database, minilm, user_id=ann.id, text=fact, clock=clock)
    found = await memories.recall(
        database,
        minilm,
        user_id=ann.id,
        query="what food can't my kid eat?",
        k=5,
        min_score=0.3,
        clock=clock,
    )
    assert [r.memory.text for r in found] == ["My daughter is allergic to peanuts"]
    found = await memories.recall(
        database,
        minilm,
        user_id=ann.id,
        query="where did I leave the car?",
        k=5,
        min_score=0.3,
        clock=clock,
    )
    assert [r.memory.text for r in found] == ["I park on level 3 of the garage"]


async def test_embedding_runs_off_the_event_loop(minilm):
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    await minilm.aembed_array(["some text to embed " * 40] * 16)
    task.cancel()
    assert ticks > 1  # the loop kept running while the model worked


class _EmbeddingsApi(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _EmbeddingsApi.requests.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(str(t))), 1.0, 0.0]}
            for i, t in enumerate(inputs)
        ]
        payload = json.dumps(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def embeddings_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmbeddingsApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _EmbeddingsApi.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


async def test_openai_provider_calls_an_openai_compatible_server(embeddings_api):
    settings = load_settings(
        _env_file=None,
        embeddings_provider="openai",
        embeddings_model="nomic-embed",
        openai_base_url=embeddings_api,
        openai_api_key="sk-local",
    )
    model = build_embeddings(settings)
    assert isinstance(model, OpenAICompatibleEmbeddings)
    assert model.model_id == "openai:nomic-embed"
    vectors = await model.aembed_array(["abc", "abcdef"])
    assert vectors.shape == (2, 3)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    request = _EmbeddingsApi.requests[0]
    assert request["path"] == "/v1/embeddings"
    assert request["body"]["model"] == "nomic-embed"
    assert request["body"]["input"] == ["abc", "abcdef"]
    assert request["auth"] == "Bearer sk-local"


def test_openai_provider_without_a_server_stops_start_up_with_one_line():
    with pytest.raises(ConfigurationError) as error:
        load_settings(_env_file=None, embeddings_provider="openai")
    assert str(error.value) == (
        "Configuration error: EMBEDDINGS_PROVIDER=openai needs OPENAI_API_KEY or OPENAI_BASE_URL"
    )
