"""Knowledge-base ingest throughput: chunks per second, embedded and indexed.

It generates a corpus of markdown, text and HTML documents: paragraphs of varied sentences about
a made-up building, ~2.5 KB to ~10 KB each. It then ingests them with `stores.kb.ingest_many`,
which is what `kb add` runs, into a temporary SQLite file with the batch-tuned default model
(all-MiniLM-L6-v2 int8). That covers text extraction, chunking (500 characters), embedding (256
chunks per model call), the SQL rows with their vectors, and the FAISS copy. It reports chunks/s
for the whole run and the share of the time spent embedding. Run from the repo root:

    .venv/bin/python bench/ingest.py [--documents 120]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
for _name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2"):
    os.environ.pop(_name, None)

import numpy as np  # noqa: E402

from stores import kb  # noqa: E402
from stores.clock import SystemClock  # noqa: E402
from stores.db import Database  # noqa: E402
from stores.embeddings import LocalMiniLMEmbeddings  # noqa: E402
from stores.migrate import upgrade  # noqa: E402

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


async def main(documents: int) -> None:
    rng = random.Random(11)
    corpus = [document(i, rng) for i in range(documents)]
    embeddings = TimedEmbeddings(spinning=True)  # as `kb add` does (for_batch)
    embeddings.warm_up()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        database = Database(url)
        clock = SystemClock()
        chunks = 0
        started = time.perf_counter()
        uploads = [
            kb.Upload(name, f"/corpus/{name}", (lambda data=data: data), content_type)
            for name, data, content_type in corpus
        ]
        async for _upload, outcome in kb.ingest_many(
            database, embeddings, user_id=None, uploads=uploads, clock=clock
        ):
            assert isinstance(outcome, kb.Ingested), outcome
            chunks += outcome.chunks
        elapsed = time.perf_counter() - started
        probe = await kb.search(
            database, embeddings, user_id=None, query="when is the gym open", k=1, min_score=0.0
        )
        await database.dispose()
    size_kb = sum(len(data) for _, data, _ in corpus) / 1024
    rate = chunks / elapsed
    print(f"corpus: {documents} documents, {size_kb:.0f} KB, {chunks} chunks")
    print(
        f"ingest: {elapsed:.2f} s -> {rate:.0f} chunks/s "
        f"(embedding {embeddings.seconds / elapsed:.0%} of the time)"
    )
    print(f"search after ingest: best match {probe[0].source if probe else None}")
    verdict = "met" if rate >= GOAL_CHUNKS_PER_SECOND else "NOT met"
    print(f"goal >= {GOAL_CHUNKS_PER_SECOND} chunks/s: {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=120)
    asyncio.run(main(parser.parse_args().documents))
