"""Nearest labelled examples by meaning, with the project's local embedding model.

The examples of every non-destructive intent are embedded once per embedding model; a new text
is compared with all of them, and each intent scores its best example. The caller decides with
the two best intents and the margin between them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from graph.understanding.examples import EXTRA_EXAMPLES
from graph.understanding.intents import INTENTS
from stores.embeddings import TextEmbeddings

SURE = 0.70
"""At or above this (and MARGIN ahead of the next intent) the nearest intent is taken."""
CLOSE = 0.50
"""From here up to SURE, the two likeliest intents are offered as a question."""
MARGIN = 0.04


@dataclass(frozen=True)
class Guess:
    intent: str
    score: float


class ExampleIndex:
    def __init__(self, embeddings: TextEmbeddings) -> None:
        self.labels: list[str] = []
        texts: list[str] = []
        for intent in INTENTS:
            if intent.destructive:
                continue  # never by meaning
            for example in (*intent.examples, *EXTRA_EXAMPLES.get(intent.name, ())):
                self.labels.append(intent.name)
                texts.append(example)
        for name in ("lookup", "unknown"):
            for example in EXTRA_EXAMPLES.get(name, ()):
                self.labels.append(name)
                texts.append(example)
        self.vectors = embeddings.embed_array(texts)
        self.embeddings = embeddings

    def nearest(self, text: str) -> list[Guess]:
        """Every intent's best score for `text`, best first."""
        query = self.embeddings.embed_array([text])[0]
        scores = self.vectors @ query
        best: dict[str, float] = {}
        for label, score in zip(self.labels, scores.tolist(), strict=True):
            if score > best.get(label, -1.0):
                best[label] = float(score)
        return [Guess(name, score) for name, score in sorted(best.items(), key=lambda x: -x[1])]


_indexes: dict[int, ExampleIndex] = {}
_lock = threading.Lock()


def index_for(embeddings: TextEmbeddings) -> ExampleIndex:
    with _lock:
        index = _indexes.get(id(embeddings))
        if index is None or index.embeddings is not embeddings:
            index = ExampleIndex(embeddings)
            _indexes[id(embeddings)] = index
        return index


def nearest(text: str, embeddings: TextEmbeddings) -> list[Guess]:
    if not text.strip():
        return []
    return index_for(embeddings).nearest(text)


__all__ = ["CLOSE", "MARGIN", "SURE", "ExampleIndex", "Guess", "nearest", "np"]
