"""Rank fusion and slice-to-series aggregation: pure Python/NumPy, no ORM."""
from __future__ import annotations

from collections import defaultdict

# Cormack, Clarke & Buettcher (SIGIR 2009): k = 60 damps the head of each list.
RRF_CONSTANT = 60


def reciprocal_rank_fusion(rankings: list[list[int]], *, constant: int = RRF_CONSTANT) -> list[tuple[int, float]]:
    """(id, fused score) by descending sum of 1 / (constant + rank) over the rankings that contain the id."""
    scores: dict[int, float] = defaultdict(float)
    first_seen: dict[int, int] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] += 1.0 / (constant + rank)
            first_seen.setdefault(item, len(first_seen))
    return sorted(scores.items(), key=lambda pair: (-pair[1], first_seen[pair[0]]))


def aggregate_series(slice_hits: list[list[tuple[int, int, float]]], *, slice_count: int) -> list[dict]:
    """Series-level ranking from per-slice hits.

    `slice_hits[q]` holds (image id, series id, similarity) of query slice q's neighbours. A series
    scores the mean over ALL query slices of the best similarity any of its images reached for that
    slice (0 when the slice did not retrieve it): series matching many slices well rank first, and a
    series found by one slice only is penalised in proportion to the slices that missed it.
    """
    best: dict[int, dict[int, tuple[float, int]]] = defaultdict(dict)  # series -> slice -> (similarity, image)
    for slice_number, hits in enumerate(slice_hits):
        for image_id, series_id, similarity in hits:
            current = best[series_id].get(slice_number)
            if current is None or similarity > current[0]:
                best[series_id][slice_number] = (similarity, image_id)
    rows = []
    for series_id, per_slice in best.items():
        top_similarity, top_image = max(per_slice.values())
        rows.append({"series_id": series_id, "score": sum(s for s, _ in per_slice.values()) / max(slice_count, 1),
                     "matched_slices": len(per_slice), "best_image_id": top_image,
                     "best_similarity": top_similarity})
    return sorted(rows, key=lambda row: (-row["score"], row["series_id"]))
