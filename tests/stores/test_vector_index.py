"""The FAISS wrapper agrees with numpy brute force, flat or HNSW, through adds and removals."""

from __future__ import annotations

import numpy as np
import pytest

from stores import vector_index
from stores.vector_index import VectorIndex


def unit(rows: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def brute_force(ids, vectors, query, k):
    scores = vectors @ query
    order = np.argsort(-scores)[:k]
    return [int(ids[i]) for i in order]


def test_flat_search_is_exact_and_removal_is_immediate():
    vectors = unit(300)
    ids = np.arange(1000, 1300, dtype=np.int64)
    index = VectorIndex.build(32, ids, vectors)
    assert index.kind == "flat" and len(index) == 300
    query = unit(1, seed=9)[0]
    assert [i for i, _ in index.search(query, 5)] == brute_force(ids, vectors, query, 5)
    best = index.search(query, 1)[0][0]
    index.remove(np.array([best]))
    assert best not in [i for i, _ in index.search(query, 5)]
    assert len(index) == 299


def test_re_adding_an_id_replaces_its_vector():
    index = VectorIndex(32)
    first, second = unit(2, seed=3)
    index.add(np.array([7]), first[None, :])
    index.add(np.array([7]), second[None, :])
    assert len(index) == 1
    [(found, score)] = index.search(second, 3)
    assert found == 7 and score == pytest.approx(1.0, abs=1e-5)


def test_large_collections_switch_to_hnsw_and_filter_removed_ids(monkeypatch):
    monkeypatch.setattr(vector_index, "HNSW_MIN_SIZE", 500)
    vectors = unit(800)
    ids = np.arange(800, dtype=np.int64)
    index = VectorIndex(32)
    index.add(ids[:400], vectors[:400])
    assert index.kind == "flat"
    index.add(ids[400:], vectors[400:])
    assert index.kind == "hnsw" and len(index) == 800
    queries = unit(20, seed=5)
    agree = sum(index.search(q, 1)[0][0] == brute_force(ids, vectors, q, 1)[0] for q in queries)
    assert agree >= 19  # approximate, but near exact at this size
    top = index.search(queries[0], 1)[0][0]
    index.remove(np.array([top]))
    assert top not in [i for i, _ in index.search(queries[0], 10)]
    # Removing many rebuilds the graph without them.
    index.remove(ids[:200])
    assert len(index) == 599
    assert not set(range(200)) & {i for i, _ in index.search(queries[1], 50)}
    assert index._removed == set() or len(index._removed) < 0.1 * len(index) + 1


def test_empty_index_finds_nothing():
    assert VectorIndex(8).search(unit(1, 8)[0], 3) == []
