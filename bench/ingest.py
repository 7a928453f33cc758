"""Knowledge-base ingest throughput: chunks per second, embedded and indexed.

It generates a corpus of markdown, text and HTML documents: paragraphs of varied sentences about
a made-up building, ~2.5 KB to ~10 KB each. It then ingests them with `stores.kb.ingest_many`,
which is what `kb add` runs, into a temporary SQLite file with the batch-tuned default model
(all-MiniLM-L6-v2 int8). That covers text extraction, chunking (500 characters), embedding
(chunks are
collected 256 at a time, `stores.kb.BATCH_CHUNKS`, and go through onnxruntime 32 per call,
`stores.embeddings.BATCH_SIZE`), the SQL rows with their vectors, and the FAISS copy.
The peer is the floor: the same model embedding the same chunk texts, nothing else. Each repeat
runs ours then the peer, each into a fresh database; chunks/s (higher is better).

    .venv/bin/python -m bench.ingest [--documents 120] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from typing import Any

import numpy as np

from bench.common import Goal, Series, alternate, bench_settings, report
from stores import kb
from stores.clock import SystemClock
from stores.db import Database
from stores.embeddings import LocalMiniLMEmbeddings
from stores.migrate import upgrade

GOAL_CHUNKS_PER_SECOND = 200
THINGS = [
    "boiler",
    "bike room",
    "roof terrace",
    "laundry",
    "parcel locker",
    "elevator",
    "gym",
    "recycling",
    "intercom",
    "heating",
    "garden",
    "storage cage",
    "fire alarm",
    "wifi",
]
VERBS = [
    "is serviced",
    "opens",
    "closes",
    "is inspected",
    "gets cleaned",
    "is reserved",
    "must be booked",
    "is out of order",
    "was upgraded",
    "is checked",
]
WHEN = [
    "every Monday",
    "on the first of the month",
    "after 10 pm",
    "before 8 am",
    "in spring",
    "twice a year",
    "on weekends",
    "during holidays",
    "by appointment",
    "each quarter",
]


def paragraph(rng: random.Random) -> str:
    return " ".join(
        f"The {rng.choice(THINGS)} {rng.choice(VERBS)} {rng.choice(WHEN)}; "
        f"contact unit {rng.randint(1, 60)} or call extension {rng.randint(100, 999)}."
        for _ in range(rng.randint(3, 7))
    )


def document(index: int, rng: random.Random) -> tuple[str, bytes, str]:
    paragraphs = [paragraph(rng) for _ in range(rng.randint(4, 14))]
    kind = index % 3
    if kind == 0:
        body = "\n\n".join(f"## Section {i}\n\n{p}" for i, p in enumerate(paragraphs))
        return f"guide-{index}.md", f"# Guide {index}\n\n{body}".encode(), "text/markdown"
    if kind == 1:
        return f"notes-{index}.txt", "\n\n".join(paragraphs).encode(), "text/plain"
    html = "".join(f"<h2>Part {i}</h2><p>{p}</p>" for i, p in enumerate(paragraphs))
    return f"page-{index}.html", f"<html><body>{html}</body></html>".encode(), "text/html"


class TimedEmbeddings(LocalMiniLMEmbeddings):
    def __init__(self, *, spinning: bool) -> None:
        super().__init__(spinning=spinning)
        self.seconds = 0.0

    def embed_array(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        try:
            return super().embed_array(texts)
        finally:
            self.seconds += time.perf_counter() - started


async def ingest_once(corpus: list[tuple[str, bytes, str]], embeddings: Any) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        await asyncio.to_thread(upgrade, url)
        bench_settings(url)
        database = Database(url)
        chunks = 0
        started = time.perf_counter()
        uploads = [
            kb.Upload(name, f"/corpus/{name}", (lambda data=data: data), content_type)
            for name, data, content_type in corpus
        ]
        async for _upload, outcome in kb.ingest_many(
            database, embeddings, user_id=None, uploads=uploads, clock=SystemClock()
        ):
            assert isinstance(outcome, kb.Ingested), outcome
            chunks += outcome.chunks
        elapsed = time.perf_counter() - started
        await database.dispose()
    return chunks, elapsed


def main(documents: int, repeats: int) -> int:
    from stores.documents import extract_text, split_into_chunks

    rng = random.Random(11)
    corpus = [document(i, rng) for i in range(documents)]
    embeddings = TimedEmbeddings(spinning=True)  # as `kb add` does (for_batch)
    embeddings.warm_up()
    texts = [
        chunk
        for name, data, kind in corpus
        for chunk in split_into_chunks(extract_text(data, kind, name), kind)
    ]
    ours = Series("ours: kb.ingest_many chunks/s", "/s", higher_is_better=True)
    share = Series("ours: share of the time spent embedding", "%")
    peer = Series("peer: the same chunks embedded alone, chunks/s", "/s", higher_is_better=True)

    def run_ours() -> None:
        embeddings.seconds = 0.0
        chunks, elapsed = asyncio.run(ingest_once(corpus, embeddings))
        ours.values.append(chunks / elapsed)
        share.values.append(100 * embeddings.seconds / elapsed)

    def run_peer() -> None:
        started = time.perf_counter()
        for start in range(0, len(texts), 256):
            embeddings.embed_array(texts[start : start + 256])
        peer.values.append(len(texts) / (time.perf_counter() - started))

    alternate(repeats, [run_ours, run_peer])
    size_kb = sum(len(data) for _, data, _ in corpus) / 1024
    return report(
        "ingest",
        f"Knowledge-base ingest: {documents} documents, {size_kb:.0f} KB, {len(texts)} chunks, "
        f"{repeats} alternated repeats",
        [ours, share, peer],
        [
            Goal(
                f">= {GOAL_CHUNKS_PER_SECOND} chunks/s",
                ours.median >= GOAL_CHUNKS_PER_SECOND,
                f"median {ours.median:.0f} chunks/s ({ours.median / peer.median:.0%} of the peer)",
            )
        ],
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.exit(main(args.documents, args.repeats))
