"""Retrieval metrics (P@k, R@k, AP, bootstrap CI, ANN recall) over plain NumPy arrays."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

# mrpt 2.0.4 segfaults when autotuning on ~100 points or fewer.
MRPT_MIN_POINTS = 150


@dataclass
class RankedRelevance:
    """Per query: 0/1 relevance of the whole reference ranking, and its relevant count."""

    relevance: np.ndarray  # bool (n_queries, n_reference), nearest first
    relevant_counts: np.ndarray  # int (n_queries,)
    query_labels: np.ndarray  # str (n_queries,)


def pairwise_distances(queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Euclidean distances (n_queries, n_reference)."""
    queries = queries.astype(np.float64)
    reference = reference.astype(np.float64)
    squared = (queries ** 2).sum(1)[:, None] - 2.0 * queries @ reference.T + (reference ** 2).sum(1)[None, :]
    return np.sqrt(np.maximum(squared, 0.0))


def rank_reference(queries: np.ndarray, query_labels: Sequence[str], reference: np.ndarray,
                   reference_labels: Sequence[str], *, exclude_self: bool = False,
                   query_groups: Sequence[str] | None = None,
                   reference_groups: Sequence[str] | None = None) -> RankedRelevance:
    """Rank the reference by distance for each labelled query (empty labels are dropped).

    `exclude_self`: queries and reference are the same set (leave-one-out). With groups (patient ids),
    reference images of the query's own patient are left out too: another slice of the same patient is
    not a retrieval (masked pairs sort last and count neither as hits nor as relevant).
    """
    query_labels = np.asarray(query_labels, dtype=object)
    reference_labels = np.asarray(reference_labels, dtype=object)
    distances = pairwise_distances(queries, reference)
    masked = np.zeros(distances.shape, bool)
    if exclude_self:
        np.fill_diagonal(masked, True)
    if query_groups is not None and reference_groups is not None:
        own = np.asarray(query_groups, dtype=object)[:, None]
        masked |= (own == np.asarray(reference_groups, dtype=object)[None, :]) & (own != "")
    distances[masked] = np.inf
    keep = np.flatnonzero(query_labels != "")
    order = np.argsort(distances[keep], axis=1, kind="stable")
    if exclude_self and not masked[keep].sum(axis=1).max(initial=0) > 1:
        order = order[:, :-1]  # only the query itself was masked: it sorts last, drop its column
    relevance = (reference_labels[order] == query_labels[keep][:, None]) & ~np.take_along_axis(masked[keep], order, 1)
    counts = relevance.sum(axis=1)
    return RankedRelevance(relevance=relevance, relevant_counts=counts, query_labels=query_labels[keep])


def average_precisions(ranked: RankedRelevance) -> np.ndarray:
    """AP per query over the full ranking; 0 for a query with no relevant reference image."""
    hits = np.cumsum(ranked.relevance, axis=1)
    ranks = np.arange(1, ranked.relevance.shape[1] + 1)
    precision_at_hits = np.where(ranked.relevance, hits / ranks, 0.0).sum(axis=1)
    return np.divide(precision_at_hits, ranked.relevant_counts, out=np.zeros(len(hits)),
                     where=ranked.relevant_counts > 0)


def precision_at(ranked: RankedRelevance, k: int) -> np.ndarray:
    """Relevant among the top k, divided by k (per query)."""
    return ranked.relevance[:, :k].sum(axis=1) / float(k)


def recall_at(ranked: RankedRelevance, k: int) -> np.ndarray:
    """Relevant among the top k, divided by all relevant reference images (per query)."""
    found = ranked.relevance[:, :k].sum(axis=1)
    return np.divide(found, ranked.relevant_counts, out=np.zeros(len(found)), where=ranked.relevant_counts > 0)


def bootstrap_ci95(values: np.ndarray, *, groups: Sequence[str] | None = None, rounds: int = 1000,
                   seed: int = 0) -> list[float]:
    """Percentile bootstrap 95% interval of the mean. With `groups` (patients) whole patients are
    resampled: a patient's slices are not independent queries, and resampling them one by one would
    make the interval too narrow."""
    if len(values) == 0:
        return [0.0, 0.0]
    rng = np.random.default_rng(seed)
    if groups is None:
        means = values[rng.integers(0, len(values), size=(rounds, len(values)))].mean(axis=1)
    else:
        _, group_of = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
        sums, counts = np.bincount(group_of, weights=values), np.bincount(group_of)
        drawn = rng.integers(0, len(sums), size=(rounds, len(sums)))  # patients, with replacement
        means = sums[drawn].sum(axis=1) / counts[drawn].sum(axis=1)  # the mean over their queries
    return [float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))]


def summarize(ranked: RankedRelevance, ks: Sequence[int], query_groups: Sequence[str] | None = None) -> dict:
    """map, precision_at, recall_at, map_ci95 (resampling patients when `query_groups`, one per labelled
    query) and per_class, as in metrics.json."""
    aps = average_precisions(ranked)
    summary = _means(ranked, aps, ks, np.ones(len(aps), bool))
    summary["map_ci95"] = bootstrap_ci95(aps, groups=query_groups)
    summary["queries"] = int(len(aps))
    summary["per_class"] = {
        str(label): _means(ranked, aps, ks, ranked.query_labels == label) | {"queries": int((ranked.query_labels == label).sum())}
        for label in sorted(set(ranked.query_labels))
    }
    return summary


def _means(ranked: RankedRelevance, aps: np.ndarray, ks: Sequence[int], rows: np.ndarray) -> dict:
    def mean(values: np.ndarray) -> float:
        return float(values[rows].mean()) if rows.any() else 0.0

    return {
        "map": mean(aps),
        "precision_at": {str(k): mean(precision_at(ranked, k)) for k in ks},
        "recall_at": {str(k): mean(recall_at(ranked, k)) for k in ks},
    }


def retrieval_map(vectors: np.ndarray, labels: Sequence[str], groups: Sequence[str] | None = None) -> float:
    """Leave-one-out mAP within one labelled set (the validation metric of training); with `groups`
    (patient ids) a query's own patient is left out, so that its other slices do not flatter the score."""
    if len(vectors) < 2:
        return 0.0
    return mean_average_precision(leave_one_out(vectors, labels, groups))


def leave_one_out(vectors: np.ndarray, labels: Sequence[str], groups: Sequence[str] | None = None) -> RankedRelevance:
    """Each image queries all the others (with `groups`, all but its own patient's)."""
    return rank_reference(vectors, labels, vectors, labels, exclude_self=True, query_groups=groups,
                          reference_groups=groups)


def mean_average_precision(ranked: RankedRelevance) -> float:
    return float(average_precisions(ranked).mean()) if len(ranked.relevant_counts) else 0.0


def ann_recall(reference: np.ndarray, queries: np.ndarray, k: int, *, target_recall: float = 0.9) -> dict:
    """Recall of an autotuned MRPT index's top-k against exact top-k for the same queries."""
    k = min(k, len(reference))
    if len(reference) < MRPT_MIN_POINTS or k < 1:
        return {"ann_recall": 1.0, "ann_method": "exact",
                "ann_note": f"{len(reference)} reference vectors: below {MRPT_MIN_POINTS}, exact search is used"}
    import mrpt

    data = np.ascontiguousarray(reference, dtype=np.float32)
    index = mrpt.MRPTIndex(data)
    index.build_autotune_sample(target_recall, k, trees_max=max(64, math.isqrt(len(data))))
    query_matrix = np.ascontiguousarray(queries, dtype=np.float32)
    approximate = np.atleast_2d(np.asarray(index.ann(query_matrix)))  # (n_queries, k), -1 pads
    exact = np.atleast_2d(np.asarray(index.exact_search(query_matrix, k)))  # (n_queries, k)
    found = sum(len(set(a[a >= 0].tolist()) & set(e.tolist())) for a, e in zip(approximate, exact))
    return {"ann_recall": found / float(k * max(len(queries), 1)), "ann_method": "mrpt", "ann_k": k,
            "ann_target_recall": target_recall}
