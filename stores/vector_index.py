"""One FAISS index over a collection's unit vectors, searched by inner product (= cosine).

Exact (`IndexFlatIP`) while the collection is small, where it is both exact and fast; HNSW from
`HNSW_MIN_SIZE` vectors on, where a flat scan of 100k vectors would take ~13 ms. HNSW cannot
delete, so removed ids are filtered out of its results and the graph is rebuilt once they pile
up. Not thread-safe on its own: `stores.indexes` holds a lock around every call.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import faiss
import numpy as np

HNSW_MIN_SIZE = 20_000
HNSW_NEIGHBOURS = 32
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 64
REBUILD_REMOVED_FRACTION = 0.1

# One query at a time: OpenMP's thread start-up costs more than the search and, on a busy
# 2-core box, turned a 0.6 ms flat search into 20-40 ms.
faiss.omp_set_num_threads(1)


class VectorIndex:
    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._index: Any = self._flat()  # faiss's stubs lack IndexIDMap2's members
        self._hnsw = False
        self._removed: set[int] = set()
        self._ids: set[int] = set()

    def _flat(self) -> faiss.Index:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))

    def _new_hnsw(self) -> faiss.Index:
        inner = faiss.IndexHNSWFlat(self.dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        inner.hnsw.efSearch = HNSW_EF_SEARCH
        return faiss.IndexIDMap2(inner)

    @classmethod
    def build(cls, dimension: int, ids: np.ndarray, vectors: np.ndarray) -> VectorIndex:
        index = cls(dimension)
        index.add(ids, vectors)
        return index

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> set[int]:
        """The ids searchable now (a copy)."""
        return set(self._ids)

    def save(self, path: Path) -> None:
        """Write the index to `path` (atomically: a reader sees the old file or the new one)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        faiss.write_index(self._index, str(partial))
        removed = partial.with_suffix(".removed.npy")
        np.save(removed, np.array(sorted(self._removed), dtype=np.int64))
        os.replace(removed, path.with_suffix(".removed.npy"))
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        """An index `save` wrote (raises OSError or RuntimeError when it cannot be read)."""
        stored: Any = faiss.read_index(str(path))  # an IndexIDMap2, as saved
        index = cls(stored.d)
        index._index = stored
        index._hnsw = "HNSW" in type(faiss.downcast_index(stored.index)).__name__
        index._removed = set(np.load(path.with_suffix(".removed.npy")).tolist())
        all_ids = faiss.vector_to_array(stored.id_map).astype(np.int64).tolist()
        index._ids = set(all_ids) - index._removed
        return index

    @property
    def kind(self) -> str:
        return "hnsw" if self._hnsw else "flat"

    def _check(self, vectors: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dimension)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add (or replace) vectors by id."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = self._check(vectors)
        if len(ids) == 0:
            return
        present = [i for i in ids.tolist() if i in self._ids]
        if present:
            self.remove(np.array(present, dtype=np.int64))
        if self._hnsw and self._removed.intersection(ids.tolist()):
            self._rebuild(as_hnsw=True)  # else the old vector would answer for the id again
        if not self._hnsw and len(self._ids) + len(ids) >= HNSW_MIN_SIZE:
            self._rebuild(as_hnsw=True, extra=(ids, vectors))
            return
        self._index.add_with_ids(vectors, ids)
        self._ids.update(ids.tolist())

    def remove(self, ids: np.ndarray) -> None:
        wanted = [i for i in np.asarray(ids, dtype=np.int64).tolist() if i in self._ids]
        if not wanted:
            return
        self._ids.difference_update(wanted)
        if not self._hnsw:
            self._index.remove_ids(np.array(wanted, dtype=np.int64))
            return
        self._removed.update(wanted)
        if len(self._removed) > REBUILD_REMOVED_FRACTION * max(len(self._ids), 1):
            self._rebuild(as_hnsw=len(self._ids) >= HNSW_MIN_SIZE)

    def _live(self) -> tuple[np.ndarray, np.ndarray]:
        """The ids and vectors still in the index (HNSW keeps removed ones until a rebuild)."""
        total = self._index.ntotal
        if total == 0:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension), dtype=np.float32)
        all_ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        vectors = self._index.index.reconstruct_n(0, total)
        keep = np.array([i not in self._removed for i in all_ids.tolist()], dtype=bool)
        return all_ids[keep], vectors[keep]

    def _rebuild(
        self, *, as_hnsw: bool, extra: tuple[np.ndarray, np.ndarray] | None = None
    ) -> None:
        ids, vectors = self._live()
        if extra is not None:
            ids = np.concatenate([ids, extra[0]])
            vectors = np.concatenate([vectors, extra[1]])
        self._index = self._new_hnsw() if as_hnsw else self._flat()
        self._hnsw = as_hnsw
        self._removed = set()
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors), ids)
        self._ids = set(ids.tolist())

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Up to k (id, cosine) pairs, best first."""
        if not self._ids or k <= 0:
            return []
        query = self._check(vector)[:1]
        fetch = min(k + len(self._removed), self._index.ntotal)
        scores, ids = self._index.search(query, fetch)
        found = [
            (int(i), float(s))
            for i, s in zip(ids[0], scores[0], strict=True)
            if i >= 0 and int(i) not in self._removed
        ]
        return found[:k]
