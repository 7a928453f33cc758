"""A fake at the edge: a deterministic, fast embedding (no model) that ranks by shared words."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from stores.embeddings import TextEmbeddings, normalise

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    {"a", "an", "the", "is", "are", "was", "my", "me", "i", "to", "of", "and", "in", "on"}
    | {"at", "for", "what", "when", "where", "who", "do"}
)


class HashEmbeddings(TextEmbeddings):
    """Bag of words hashed into 256 dimensions: texts sharing words score high, others near 0.

    Deterministic across runs and processes; stands in for the real model everywhere except the
    few tests that prove recall by meaning.
    """

    model_id = "test-hash-256"
    dimension = 256

    def __init__(self) -> None:
        self.calls = 0

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        words = [w for w in _WORD.findall(text.lower()) if w not in _STOP] or ["<empty>"]
        for word in words:
            stem = word[:-1] if len(word) > 3 and word.endswith("s") else word
            digest = hashlib.blake2b(stem.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "little") % self.dimension] += 1.0
        return vector

    def embed_array(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return normalise(np.stack([self._vector(t) for t in texts]))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()
