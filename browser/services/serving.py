"""What answers a query: the serving index (or its shards) plus the delta of vectors embedded since it
was built, searched at the recall the query asks for."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, Max

from browser.indexes import VectorIndex
from browser.models import IndexVersion
from browser.services.indexing import get_serving_index
from embeddings.models import Embedding, EncoderVersion

# encoder version id -> (index id, highest embedding pk read, rows read above the watermark, delta)
_deltas: dict[int, tuple[int, int, int, VectorIndex]] = {}
_delta_lock = threading.Lock()


def forget_deltas() -> None:
    with _delta_lock:
        _deltas.clear()


@dataclass
class RecallPlan:
    """How the main index is searched: MRPT at its tuned votes, MRPT with fewer votes, or exact."""

    mode: str  # "index" (as built), "votes" (widened candidate set, exact re-ranking) or "exact"
    votes_required: int | None = None
    expected_recall: float | None = None


def plan_recall(record: IndexVersion, requested: float | None) -> RecallPlan:
    """The cheapest way to reach `requested` recall, from the recall measured per vote threshold at build."""
    return plan_recall_from(record.method, record.measured_recall, record.params, requested)


def plan_recall_from(method: str, measured: float | None, params: dict, requested: float | None) -> RecallPlan:
    """Without a request the index's own target is kept: MRPT's tuner estimates recall on a sample
    of indexed points, which can flatter it, so when the recall measured on held-out probes falls
    short, fewer votes are required (never exact search, which a default query must not pay for)."""
    if method != "mrpt":
        return RecallPlan("exact", expected_recall=1.0)
    default = requested is None
    requested = params.get("target_recall") if default else requested
    if requested is None or (measured is not None and requested <= measured):
        return RecallPlan("index", expected_recall=measured)
    table = {int(votes): recall for votes, recall in (params.get("recall_by_votes") or {}).items()}
    good = [votes for votes, recall in table.items() if recall >= requested]
    if requested < 1.0 and good:
        votes = max(good)  # the most votes is the smallest candidate set that still reaches the target
        return RecallPlan("votes", votes_required=votes, expected_recall=table[votes])
    return RecallPlan("index", expected_recall=measured) if default else RecallPlan("exact", expected_recall=1.0)


@dataclass
class LocalSearcher:
    """The serving index of this process, merged with an exact delta of newer vectors."""

    index: VectorIndex
    delta: VectorIndex
    plan: RecallPlan
    report: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.index.size + self.delta.size

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self.plan.mode == "exact":
            main = self.index.exact_search(vector, k)
        else:
            *main, far = self.index.search_checked(vector, k, votes_required=self.plan.votes_required)
            if far:
                self.report["served_by"] = "exact (query far from the indexed data)"
        return merge_hits([main, self.delta.exact_search(vector, k)], k)

    def search_within(self, vector: np.ndarray, allowed_ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return merge_hits([self.index.exact_search_within(vector, allowed_ids, k),
                           self.delta.exact_search_within(vector, allowed_ids, k)], k)

    def vectors_of(self, ids: list[int]) -> dict[int, np.ndarray]:
        return {**rows_of(self.delta, ids), **rows_of(self.index, ids)}


def merge_hits(parts: list[tuple[np.ndarray, np.ndarray]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k of several (ids, distances) lists; an id found twice keeps its smaller distance."""
    ids = np.concatenate([np.asarray(part[0], np.int64) for part in parts] or [np.zeros(0, np.int64)])
    distances = np.concatenate([np.asarray(part[1], np.float32) for part in parts] or [np.zeros(0, np.float32)])
    order = np.lexsort((ids, distances))
    ids, distances = ids[order], distances[order]
    _, first = np.unique(ids, return_index=True)
    keep = np.sort(first)[:k]
    return ids[keep], distances[keep]


def rows_of(index: VectorIndex, ids: list[int]) -> dict[int, np.ndarray]:
    if not index.size or not ids:
        return {}
    wanted = np.asarray(ids, np.int64)
    rows = np.flatnonzero(np.isin(index.ids, wanted))
    return {int(index.ids[row]): index.vectors[row] for row in rows}


def get_local_searcher(version: EncoderVersion, *, recall: float | None) -> tuple[IndexVersion, LocalSearcher]:
    record, index = get_serving_index(version)
    delta = get_delta(version, record, index)
    plan = plan_recall(record, recall)
    return record, LocalSearcher(index, delta, plan, report=serving_report(record, delta, plan, recall))


def serving_report(record: IndexVersion, delta: VectorIndex, plan: RecallPlan, requested: float | None) -> dict:
    return {"delta_count": delta.size, "requested_recall": requested, "served_by": plan.mode,
            "votes_required": plan.votes_required, "expected_recall": plan.expected_recall}


def get_delta(version: EncoderVersion, record: IndexVersion, index) -> VectorIndex:
    """Exact index of this version's vectors added after `record` was built (cached, grown incrementally).

    The cache remembers the highest row id it has read and how many rows above the index's watermark it
    holds. Two embedding workers can commit out of id order (PostgreSQL), so rows can appear below the
    highest id already read: when the row count says so, the delta is read again from the watermark.
    """
    watermark = int(record.params.get("embedding_watermark", 0))
    newer = Embedding.objects.filter(encoder_version=version, pk__gt=watermark).aggregate(last=Max("pk"),
                                                                                          count=Count("pk"))
    latest, count = newer["last"] or watermark, newer["count"]
    with _delta_lock:
        cached = _deltas.get(version.pk)
    if cached and cached[0] == record.pk and cached[1:3] == (latest, count):
        return cached[3]
    if cached and cached[0] == record.pk:
        ids, vectors = load_vectors_since(version, cached[1], latest)
        if cached[2] + len(ids) == count:  # nothing committed late below what the cache had read
            return _remember_delta(version, record, latest, count,
                                   extend_delta(cached[3], ids, vectors, indexed_ids=index.ids))
    ids, vectors = load_vectors_since(version, watermark, latest)
    return _remember_delta(version, record, latest, len(ids),
                           extend_delta(empty_index(version.dim), ids, vectors, indexed_ids=index.ids))


def _remember_delta(version: EncoderVersion, record: IndexVersion, latest: int, rows: int,
                    delta: VectorIndex) -> VectorIndex:
    with _delta_lock:
        _deltas[version.pk] = (record.pk, latest, rows, delta)
    return delta


def load_vectors_since(version: EncoderVersion, after_pk: int, up_to_pk: int) -> tuple[np.ndarray, np.ndarray]:
    rows = list(Embedding.objects.filter(encoder_version=version, pk__gt=after_pk, pk__lte=up_to_pk)
                .values_list("image_id", "vector"))
    if not rows:
        return np.zeros(0, np.int64), np.zeros((0, version.dim), np.float32)
    ids = np.asarray([image_id for image_id, _ in rows], np.int64)
    vectors = np.frombuffer(b"".join(bytes(blob) for _, blob in rows), dtype="<f4").reshape(len(rows), version.dim)
    return ids, vectors


def extend_delta(base: VectorIndex, ids: np.ndarray, vectors: np.ndarray, *, indexed_ids: np.ndarray) -> VectorIndex:
    fresh = ~np.isin(ids, indexed_ids) & ~np.isin(ids, base.ids)
    all_ids = np.concatenate([base.ids, ids[fresh]])
    all_vectors = np.concatenate([base.vectors, np.asarray(vectors[fresh], np.float32)])
    return VectorIndex(all_ids, np.ascontiguousarray(all_vectors, np.float32), "exact", {"reason": "delta"})


def empty_index(dim: int) -> VectorIndex:
    return VectorIndex(np.zeros(0, np.int64), np.zeros((0, dim), np.float32), "exact", {"reason": "delta"})
