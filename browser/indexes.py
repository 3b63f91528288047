"""Vector index over one encoder version: MRPT autotuned to a recall target, exact below
the size the tuner can handle. Pure NumPy/mrpt, no ORM.

Distances are Euclidean. MRPT only proposes candidates; their distances are always
recomputed exactly, so scores never depend on the index method.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MRPT_FILE = "mrpt.bin"
VECTORS_FILE = "vectors.npy"
IDS_FILE = "ids.npy"
META_FILE = "index.json"
# mrpt 2.0.4 crashes (segfault) when autotuning on ~100 points or fewer.
MRPT_HARD_MINIMUM = 150


@dataclass
class VectorIndex:
    ids: np.ndarray  # int64 (n,) image ids
    vectors: np.ndarray  # float32 (n, dim), C-contiguous; mrpt reads it without owning it
    method: str  # "mrpt" or "exact"
    params: dict = field(default_factory=dict)
    mrpt_index: object | None = None

    @property
    def size(self) -> int:
        return int(self.ids.shape[0])

    @property
    def ann_k(self) -> int:
        return int(self.params.get("k", 0))

    def search(self, query: np.ndarray, k: int, votes_required: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (image ids, distances) for one query vector, nearest first. Fewer `votes_required`
        than the tuned value widens MRPT's candidate set (higher recall, slower)."""
        ids, distances, _ = self.search_checked(query, k, votes_required)
        return ids, distances

    def search_checked(self, query: np.ndarray, k: int,
                       votes_required: int | None = None) -> tuple[np.ndarray, np.ndarray, bool]:
        """search(), also saying whether the query was answered exactly because it lies far from
        the indexed data (its k-th MRPT result beyond `far_query_distance`): MRPT's recall was
        tuned and measured on points like the data, and drops sharply for queries unlike it."""
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32), False
        query = np.ascontiguousarray(query, dtype=np.float32).ravel()
        if self.method != "mrpt" or k > self.ann_k:
            return (*self._rank(query, None, k), False)
        rows = np.asarray(self.mrpt_index.ann(query, k=k, votes_required=votes_required), dtype=np.int64)
        rows = rows[rows >= 0]  # mrpt pads with -1 when fewer candidates voted
        if rows.size < k:
            return (*self.exact_search(query, k), True)
        ids, distances = self._rank(query, rows, k)
        far = self.params.get("far_query_distance")
        if far is not None and float(distances[-1]) > far:
            return (*self.exact_search(query, k), True)
        return ids, distances, False

    def exact_search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self._rank(np.ascontiguousarray(query, dtype=np.float32).ravel(), None, min(k, self.size))

    def exact_search_within(self, query: np.ndarray, allowed_ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k restricted to a subset of image ids (for selective filters)."""
        rows = np.flatnonzero(np.isin(self.ids, allowed_ids))
        return self._rank(np.ascontiguousarray(query, dtype=np.float32).ravel(), rows, min(k, rows.size))

    def _rank(self, query: np.ndarray, rows: np.ndarray | None, k: int) -> tuple[np.ndarray, np.ndarray]:
        candidates = self.vectors if rows is None else self.vectors[rows]
        distances = euclidean_distances(candidates, query)  # fast, float32: good enough to shortlist
        shortlist = min(distances.size, 2 * k + 16)  # room for the shortcut's rounding at the boundary
        if shortlist < distances.size:
            top = np.argpartition(distances, shortlist - 1)[:shortlist]
        else:
            top = np.arange(distances.size)
        exact = exact_distances(candidates[top], query)
        order = np.lexsort((top, exact))[:k]  # by exact distance, then by row: ties broken the same way always
        top = top[order]
        chosen_rows = top if rows is None else rows[top]
        return self.ids[chosen_rows], exact[order].astype(np.float32)


def exact_distances(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Distances from each row to `query` as differences in float64: exact to the last digits, unlike the
    |a|² + |b|² − 2ab shortcut, which in float32 loses near neighbours' order on long vectors."""
    difference = vectors.astype(np.float64) - np.asarray(query, dtype=np.float64)
    return np.sqrt(np.einsum("ij,ij->i", difference, difference))


def euclidean_distances(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Distances from every row of `vectors` (n, dim) to `query` (dim,), (n,), by the fast shortcut
    (float32 rounding: shortlists only; see exact_distances)."""
    squared = np.einsum("ij,ij->i", vectors, vectors) - 2.0 * (vectors @ query) + float(query @ query)
    return np.sqrt(np.maximum(squared, 0.0))


def build_index(ids: np.ndarray, vectors: np.ndarray, *, target_recall: float, k: int,
                min_points: int) -> VectorIndex:
    """MRPT autotuned to `target_recall` for top-`k` when there are enough points, else exact."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    n = ids.shape[0]
    if n < max(min_points, MRPT_HARD_MINIMUM):
        return VectorIndex(ids, vectors, "exact", {"reason": f"{n} vectors: too few for the MRPT autotuner"})
    import mrpt

    k = min(k, n - 1)
    started = time.perf_counter()
    index = mrpt.MRPTIndex(vectors)
    # The default tree cap (about sqrt(n)) cannot reach 0.9 recall on small collections.
    index.build_autotune_sample(target_recall, k, trees_max=max(64, math.isqrt(n)))
    params = {**index.parameters(), "k": k, "target_recall": target_recall,
              "build_seconds": round(time.perf_counter() - started, 3)}
    return VectorIndex(ids, vectors, "mrpt", params, index)


def measure_recall(index: VectorIndex, queries: np.ndarray, k: int,
                   truth: list[set[int]] | None = None) -> float:
    """Mean overlap of the index's top-k with exact top-k (`truth`, computed when not given)."""
    if index.method == "exact" or len(queries) == 0:
        return 1.0
    k = min(k, index.ann_k)
    truth = truth if truth is not None else exact_top_ids(index, queries, k)
    overlaps = [len(set(index.search(query, k)[0].tolist()) & exact) / max(len(exact), 1)
                for query, exact in zip(queries, truth)]
    return float(np.mean(overlaps))


def exact_top_ids(index: VectorIndex, queries: np.ndarray, k: int) -> list[set[int]]:
    return [set(index.exact_search(query, k)[0].tolist()) for query in queries]


def recall_by_votes(index: VectorIndex, queries: np.ndarray, k: int, *, steps: int = 8,
                    truth: list[set[int]] | None = None) -> dict[str, float]:
    """Measured recall at top-`k` for the tuned vote threshold and up to `steps` lower ones
    (keys are vote counts as strings, for JSON); empty for an exact index."""
    votes = int(index.params.get("votes", 0))
    if index.method != "mrpt" or votes <= 0 or len(queries) == 0:
        return {}
    k = min(k, index.ann_k)
    exact = truth if truth is not None else exact_top_ids(index, queries, k)
    table = {}
    for threshold in sorted({max(1, votes - step * max(1, votes // steps)) for step in range(steps + 1)}, reverse=True):
        found = [set(index.search(query, k, votes_required=threshold)[0].tolist()) for query in queries]
        table[str(threshold)] = float(np.mean([len(a & b) / max(len(b), 1) for a, b in zip(found, exact)]))
    return table


FAR_QUERY_FACTOR = 1.5


def calibrate(index: VectorIndex, vectors: np.ndarray, k: int) -> float | None:
    """Measure a fresh index on held-out-like probes: its recall (returned), the recall of lower
    vote thresholds, and the distance beyond which a query counts as far from the data:
    FAR_QUERY_FACTOR x the 95th percentile of the probes' exact k-th neighbour distances."""
    if not index.size:
        return None
    if index.method != "mrpt":
        index.params["recall_by_votes"] = {}
        return 1.0
    probes = recall_probe_queries(vectors)
    k = min(k, index.ann_k)
    exact = [index.exact_search(probe, k) for probe in probes]  # one exact pass serves all three measures
    index.params["far_query_distance"] = float(FAR_QUERY_FACTOR * np.percentile([d[-1] for _, d in exact], 95))
    truth = [set(ids.tolist()) for ids, _ in exact]
    index.params["recall_by_votes"] = recall_by_votes(index, probes, k, truth=truth)
    return measure_recall(index, probes, k, truth=truth)


def recall_probe_queries(vectors: np.ndarray, count: int = 100, seed: int = 0) -> np.ndarray:
    """Fresh-query stand-ins: sampled points moved halfway towards one of their 10 nearest
    neighbours, so a probe lies in the data's distribution but is never an indexed vector
    itself (which would flatter the recall)."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(vectors), min(count, len(vectors)), replace=False)
    probes = []
    for row in rows:
        distances = euclidean_distances(vectors, vectors[row])
        neighbours = np.argsort(distances)[1:11]
        if neighbours.size == 0:
            probes.append(vectors[row])
            continue
        partner = vectors[rng.choice(neighbours)]
        probes.append(0.5 * vectors[row] + 0.5 * partner)
    return np.ascontiguousarray(probes, dtype=np.float32)


def save_index(index: VectorIndex, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=False)
    np.save(directory / VECTORS_FILE, index.vectors)
    np.save(directory / IDS_FILE, index.ids)
    if index.mrpt_index is not None:
        index.mrpt_index.save(str(directory / MRPT_FILE))
    (directory / META_FILE).write_text(json.dumps({"method": index.method, "params": index.params}, indent=2))


def load_index(directory: Path) -> VectorIndex:
    meta = json.loads((directory / META_FILE).read_text())
    vectors = np.ascontiguousarray(np.load(directory / VECTORS_FILE), dtype=np.float32)
    ids = np.load(directory / IDS_FILE)
    mrpt_index = None
    if meta["method"] == "mrpt":
        import mrpt

        mrpt_index = mrpt.MRPTIndex(vectors)
        mrpt_index.load(str(directory / MRPT_FILE))
    return VectorIndex(ids, vectors, meta["method"], meta["params"], mrpt_index)


SHARD_PREFIX = "shard-"


def shard_rows(count: int, shards: int) -> list[np.ndarray]:
    """Row numbers of each shard: round robin, so shards stay equal in size and ids stay sorted within each."""
    return [np.arange(number, count, shards, dtype=np.int64) for number in range(shards)]


def shard_directory(directory: Path, number: int) -> Path:
    return directory / f"{SHARD_PREFIX}{number:02d}"


def save_sharded(shards: list[VectorIndex], ids: np.ndarray, directory: Path) -> None:
    """Each shard in its own sub-folder, plus every id (for the delta) and the shard count."""
    directory.mkdir(parents=True, exist_ok=False)
    np.save(directory / IDS_FILE, ids)
    for number, shard in enumerate(shards):
        save_index(shard, shard_directory(directory, number))
    (directory / META_FILE).write_text(json.dumps({"method": "sharded", "shards": len(shards)}, indent=2))


def load_index_ids(directory: Path) -> np.ndarray:
    return np.load(directory / IDS_FILE)
