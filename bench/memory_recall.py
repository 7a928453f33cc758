"""Memory recall at 100k memories: the whole `stores.memories.recall` call, and the first one
after a restart.

One user holds N memories in a temporary SQLite file: 300 real sentences embedded by the default
model (all-MiniLM-L6-v2 int8, onnxruntime), the rest synthetic unit vectors (a search costs the
same whatever the vectors mean; embedding 100k sentences would take minutes). The first recall
ever builds the FAISS copy from SQL (HNSW above 20k vectors) and saves it: timed once.

Each repeat, alternated:
* restart: 100 memories are written behind the process's back (as another process would), the
  in-memory copies are dropped (a new process), and one recall is timed: it loads the saved
  index and applies the difference;
* ours: `memories.recall` (query embedding, version check, FAISS, rows from SQL,
  last_recalled_at) for `--queries` distinct questions: p50/p95;
* peer: the same questions embedded, then numpy brute force (matrix-vector product and
  argpartition) over the same vectors in memory: p50/p95.

    .venv/bin/python -m bench.memory_recall [--size 100000] [--queries 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from typing import Any

import numpy as np

from bench.common import Goal, Series, alternate, bench_settings, report

GOAL_FIRST_S = 1.0
GOAL_P95_MS = 10.0
K = 5
WRITES_WHILE_DOWN = 100
SUBJECTS = ["birthday", "address", "allergy", "car", "dentist", "gym", "wifi", "school", "pet"]
PEOPLE = ["Anna", "Bob", "my mother", "my son", "Priya", "the neighbour", "my boss", "Kenji"]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(pct / 100 * len(ordered)), 1) - 1]


def unit_vectors(rng: Any, count: int, dimension: int) -> np.ndarray:
    vectors = rng.standard_normal((count, dimension))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


async def insert_memories(database: Any, model_id: str, vectors: np.ndarray, texts: list[str]):
    from sqlalchemy import insert

    from stores import memories
    from stores.clock import SystemClock
    from stores.indexes import bump
    from stores.models import Memory

    now = SystemClock().now()
    rows = [
        {
            "user_id": 1,
            "text": texts[i] if i < len(texts) else f"m{i}",
            "subject": None,
            "origin": "explicit",
            "embedding": vector.tobytes(),
            "embedding_model": model_id,
            "created_at": now,
            "updated_at": now,
        }
        for i, vector in enumerate(vectors)
    ]
    for offset in range(0, len(rows), 5000):
        async with database.session() as session:
            await bump(session, memories.collection(1), user_id=1, clock=SystemClock())
            await session.execute(insert(Memory), rows[offset : offset + 5000])


async def recall(database: Any, model: Any, query: str, min_score: float) -> None:
    from stores import memories
    from stores.clock import SystemClock

    await memories.recall(
        database, model, user_id=1, query=query, k=K, min_score=min_score, clock=SystemClock()
    )


async def run(size: int, queries: int, repeats: int) -> int:
    from stores.clock import SystemClock
    from stores.db import Database
    from stores.embeddings import LocalMiniLMEmbeddings
    from stores.indexes import INDEXES
    from stores.migrate import upgrade
    from stores.models import User

    model = LocalMiniLMEmbeddings()
    model.warm_up()
    rng = np.random.default_rng(7)
    texts = [
        f"{PEOPLE[i % len(PEOPLE)]}'s {SUBJECTS[(i // 8) % len(SUBJECTS)]} note number {i}"
        for i in range(300)
    ]
    real = model.embed_array(texts)
    vectors = np.concatenate([real, unit_vectors(rng, size - len(real), real.shape[1])])
    clock = SystemClock()
    first = Series("first recall ever: build from SQL and save (once)", "s")
    restart = Series(f"first recall after a restart (+{WRITES_WHILE_DOWN} writes)", "s")
    ours_p50, ours_p95 = Series("ours: memories.recall p50", "ms"), Series("ours p95", "ms")
    peer_p50 = Series("peer: embed + numpy brute force p50", "ms")
    peer_p95 = Series("peer p95", "ms")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        await asyncio.to_thread(upgrade, url)
        bench_settings(url)
        database = Database(url)
        async with database.session() as session:
            session.add(
                User(
                    phone="+14155550123",
                    name="Bench",
                    timezone="UTC",
                    status="active",
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
        await insert_memories(database, model.model_id, vectors, texts)
        began = time.perf_counter()
        await recall(database, model, "warm up", 2.0)
        first.values.append(time.perf_counter() - began)
        loop = asyncio.get_running_loop()
        round_no = 0

        def questions() -> list[str]:
            return [
                f"what about {PEOPLE[i % 8]}'s {SUBJECTS[i % 9]}? (r{round_no} q{i})"
                for i in range(queries)
            ]

        async def after_restart() -> None:
            nonlocal vectors
            extra = unit_vectors(rng, WRITES_WHILE_DOWN, vectors.shape[1])
            await insert_memories(database, model.model_id, extra, [])
            vectors = np.concatenate([vectors, extra])
            INDEXES.forget()  # a new process: nothing in memory
            began = time.perf_counter()
            await recall(database, model, f"restart {round_no}", 2.0)
            restart.values.append(time.perf_counter() - began)

        async def ours() -> None:
            timings = []
            for question in questions():
                began = time.perf_counter()
                await recall(database, model, question, 0.3)
                timings.append((time.perf_counter() - began) * 1000)
            ours_p50.values.append(percentile(timings, 50))
            ours_p95.values.append(percentile(timings, 95))

        async def peer() -> None:
            nonlocal round_no
            timings = []
            for question in questions():
                began = time.perf_counter()
                vector = model.embed_array([question])[0]
                scores = vectors @ vector
                top = np.argpartition(-scores, K)[:K]
                top[np.argsort(-scores[top])]
                timings.append((time.perf_counter() - began) * 1000)
            peer_p50.values.append(percentile(timings, 50))
            peer_p95.values.append(percentile(timings, 95))
            round_no += 1

        def sync(step: Any) -> Any:
            return lambda: asyncio.run_coroutine_threadsafe(step(), loop).result()

        await asyncio.to_thread(alternate, repeats, [sync(after_restart), sync(ours), sync(peer)])
        await database.dispose()
    return report(
        "memory_recall",
        f"Memory recall at {size:,} memories, {queries} distinct questions per run, {repeats} "
        "alternated repeats",
        [first, restart, ours_p50, ours_p95, peer_p50, peer_p95],
        [
            Goal(
                f"first recall after a restart < {GOAL_FIRST_S:.0f} s",
                restart.median < GOAL_FIRST_S,
                f"median {restart.median:.2f} s",
            ),
            Goal(
                f"recall p95 (with the query embedding) <= {GOAL_P95_MS:.0f} ms",
                ours_p95.median <= GOAL_P95_MS,
                f"median p95 {ours_p95.median:.1f} ms",
            ),
        ],
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.exit(asyncio.run(run(args.size, args.queries, args.repeats)))
