"""Queries taken from the PACS: one instance (Study/Series/SOP UIDs) or a whole series, fetched over
DICOMweb WADO-RS, decoded, embedded and searched. A series query answers with series-level results."""
from __future__ import annotations

import logging

import numpy as np
from django.conf import settings

from browser import pacs
from browser.graphs import build_proximity_graph
from browser.ranking import aggregate_series
from browser.serializers import result_payload
from browser.services.search import (SearchOptions, Stopwatch, _index_payload, allowed_ids, nearest_images,
                                     search_by_vector, stack_vectors, text_matches)
from browser.services.indexing import get_serving_version
from browser.services.searchers import get_searcher
from embeddings.services import embed_pixels
from ingest.errors import IngestError
from ingest.models import Image, Series
from ingest.parsers import parse_dicom
from ingest.parsers.dicom import decode_dicom_frames, read_dataset

logger = logging.getLogger(__name__)
# Neighbours each slice contributes to the series aggregation, per requested series.
SLICE_NEIGHBOURS_PER_RESULT = 3


def search_by_pacs_instance(*, study_uid: str, series_uid: str, sop_uid: str, k: int, encoder: str, filters,
                            q: str = "", ranking: str = "filter", recall: float | None = None) -> dict:
    """The PACS paper's query: fetch the instance by its three UIDs, then search like an upload."""
    clock = Stopwatch()
    version = get_serving_version(encoder)
    with clock.stage("fetch"):
        data = pacs.fetch_instance(study_uid=study_uid, series_uid=series_uid, sop_uid=sop_uid)
    with clock.stage("decode"):
        pixels = parse_dicom(data).pixels
    with clock.stage("embed"):
        vector = embed_pixels([pixels], version)[0]
    options = SearchOptions(k=k, filters=filters, q=q, ranking=ranking, recall=recall)
    response = search_by_vector(vector, version=version, options=options, clock=clock, query_image_id=None)
    response["query"]["source"] = "pacs-instance"
    return response


def search_by_pacs_series(*, study_uid: str, series_uid: str, k: int, encoder: str, filters, q: str = "",
                          ranking: str = "filter", recall: float | None = None) -> dict:
    """Whole-series query: every slice is embedded and searched; results are series (see aggregate_series)."""
    clock = Stopwatch()
    version = get_serving_version(encoder)
    with clock.stage("fetch"):
        instances = pacs.fetch_series(study_uid=study_uid, series_uid=series_uid)
    with clock.stage("decode"):
        slices = decode_slices(instances, limit=settings.PACS_MAX_SERIES_INSTANCES)
    with clock.stage("embed"):
        vectors = embed_pixels(slices, version)  # (slices, dim)
    record, searcher = get_searcher(version, recall=recall)
    with clock.stage("search"):
        allowed = _allowed(filters, q)
        per_slice = [slice_neighbours(searcher, vector, k=k * SLICE_NEIGHBOURS_PER_RESULT, allowed=allowed)
                     for vector in vectors]
        rows = aggregate_series(per_slice, slice_count=len(slices))[:k]
    with clock.stage("graph"):
        results, edges = series_results(rows, searcher)
    query = {"k": k, "encoder": version.name, "encoder_version": version.version, "image_id": None,
             "filters": filters.active(), "q": q, "ranking": ranking, "recall": recall, "source": "pacs-series",
             "level": "series", "slice_count": len(slices), "aggregation": AGGREGATION,
             "index": _index_payload((record, searcher.report)), "timings_ms": clock.timings_ms}
    return {"query": query, "results": results, "edges": edges}


AGGREGATION = ("series score = mean over all query slices of the best similarity 1/(1+distance) between "
               "that slice and any image of the series among the slice's nearest neighbours (0 if none); "
               "distance = 1/score - 1")


def decode_slices(instances: list[bytes], *, limit: int) -> list[np.ndarray]:
    """The series' slices: one per single-frame instance, and the frames of a multi-frame instance (an
    enhanced CT/MR series is often one instance), spread evenly, about `limit` slices in all. Only pixels:
    nothing of the query is stored, so no de-identification is needed here."""
    per_instance = max(1, limit // max(1, len(instances)))
    slices = []
    for data in instances:
        try:
            slices.extend(decode_dicom_frames(read_dataset(data), per_instance))
        except IngestError:
            logger.info("skipped a series instance without decodable pixels")
    if not slices:
        raise IngestError("no instance of the series has decodable pixels")
    return slices


def _allowed(filters, q: str) -> set[int] | None:
    allowed = allowed_ids(filters)
    if not q:
        return allowed
    return {pk for pk, _ in text_matches(q, allowed=allowed, exclude=None)}


def slice_neighbours(searcher, vector: np.ndarray, *, k: int, allowed: set[int] | None) -> list[tuple[int, int, float]]:
    hits = nearest_images(searcher, vector, k=k, allowed=allowed)
    return [(image.pk, image.series_id, 1.0 / (1.0 + distance)) for image, distance in hits]


def series_results(rows: list[dict], searcher) -> tuple[list[dict], list[dict]]:
    best_ids = [row["best_image_id"] for row in rows]
    images = {image.pk: image for image in Image.objects.filter(pk__in=best_ids)
              .select_related("series__study__dataset")}
    counts = _image_counts([row["series_id"] for row in rows])
    distances = np.array([1.0 / row["score"] - 1.0 for row in rows], np.float32)
    vectors = searcher.vectors_of(best_ids)
    graph = build_proximity_graph(best_ids, distances, stack_vectors(vectors, best_ids))
    results = []
    for rank, (row, distance) in enumerate(zip(rows, distances), start=1):
        image = images[row["best_image_id"]]
        payload = result_payload(image, rank=rank, distance=float(distance), score=row["score"],
                                 community=graph.communities.get(image.pk, 0))
        results.append(payload | {"level": "series", "series_id": row["series_id"],
                                  "series_uid": image.series.series_uid, "study_id": image.series.study_id,
                                  "matched_slices": row["matched_slices"], "image_count": counts.get(row["series_id"], 0),
                                  "best_image_id": image.pk, "best_similarity": round(row["best_similarity"], 6)})
    edges = [{**edge, "target": int(edge["target"]),
              "source": edge["source"] if edge["source"] == "query" else int(edge["source"])} for edge in graph.edges]
    return results, edges


def _image_counts(series_ids: list[int]) -> dict[int, int]:
    from django.db.models import Count

    return dict(Series.objects.filter(pk__in=series_ids).annotate(count=Count("images")).values_list("pk", "count"))
