"""Similarity search: decode -> embed -> index -> filter -> proximity graph, timed per stage."""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

from browser.graphs import QUERY_NODE, build_proximity_graph, similarity_score
from browser.indexes import VectorIndex
from browser.serializers import result_payload
from browser.services.indexing import get_serving_index
from embeddings.models import EncoderVersion
from embeddings.selectors import load_vectors_for
from embeddings.services import embed_pixels, get_active_version
from ingest.models import Image
from ingest.parsers import parse_image_bytes
from ingest.selectors import filter_images, get_image, searchable_images

# A filter matching at most this many images is answered by exact search over them.
SELECTIVE_FILTER_LIMIT = 5000


@dataclass
class Filters:
    label: str = ""
    modality: str = ""
    body_part: str = ""
    dataset: str = ""

    def active(self) -> dict:
        return {name: value for name, value in vars(self).items() if value}


@dataclass
class Stopwatch:
    timings_ms: dict = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        yield
        self.timings_ms[name] = round((time.perf_counter() - started) * 1000.0, 2)


def search_by_upload(*, data: bytes, k: int, encoder: str, filters: Filters) -> dict:
    """Answer an uploaded PNG/JPEG/DICOM; nothing about the query is stored."""
    clock = Stopwatch()
    version = get_active_version(encoder)
    with clock.stage("decode"):
        pixels = parse_image_bytes(data).pixels
    with clock.stage("embed"):
        vector = embed_pixels([pixels], version)[0]
    return run_search(vector, version=version, k=k, filters=filters, clock=clock, query_image_id=None)


def search_by_image_id(*, image_id: int, k: int, encoder: str, filters: Filters) -> dict:
    """'More like this' for an indexed image; the image itself is left out of its results."""
    clock = Stopwatch()
    version = get_active_version(encoder)
    image = get_image(image_id)
    with clock.stage("embed"):
        stored = load_vectors_for(version, [image.pk]).get(image.pk)
        vector = stored if stored is not None else embed_pixels([_pixels_of(image)], version)[0]
    return run_search(vector, version=version, k=k, filters=filters, clock=clock, query_image_id=image.pk)


def _pixels_of(image: Image) -> np.ndarray:
    from ingest.storage import load_pixels

    return load_pixels(image.pixels_path)


def run_search(vector: np.ndarray, *, version: EncoderVersion, k: int, filters: Filters, clock: Stopwatch,
               query_image_id: int | None) -> dict:
    index_record, index = get_serving_index(version)
    with clock.stage("search"):
        hits = nearest_images(index, vector, k=k, filters=filters, exclude=query_image_id)
    with clock.stage("graph"):
        ids = [image.pk for image, _ in hits]
        distances = np.array([distance for _, distance in hits], np.float32)
        graph = build_proximity_graph(ids, distances, _vectors_of(index, ids))
    return {
        "query": {
            "k": k, "encoder": version.name, "encoder_version": version.version, "image_id": query_image_id,
            "filters": filters.active(),
            "index": {"id": index_record.pk, "method": index_record.method, "vector_count": index_record.vector_count,
                      "target_recall": index_record.target_recall, "measured_recall": index_record.measured_recall,
                      "params": index_record.params},
            "timings_ms": clock.timings_ms,
        },
        "results": [result_payload(image, rank=rank, distance=distance, score=float(similarity_score(distance)),
                                   community=graph.communities.get(image.pk, 0))
                    for rank, (image, distance) in enumerate(hits, start=1)],
        "edges": [{**edge, "source": edge["source"] if edge["source"] == QUERY_NODE else int(edge["source"]),
                   "target": int(edge["target"])} for edge in graph.edges],
    }


def nearest_images(index: VectorIndex, vector: np.ndarray, *, k: int, filters: Filters,
                   exclude: int | None) -> list[tuple[Image, float]]:
    """k nearest searchable images passing the filters; k whenever k images match."""
    allowed = _allowed_ids(filters)
    if allowed is not None and len(allowed) <= SELECTIVE_FILTER_LIMIT:
        ids, distances = index.exact_search_within(vector, np.fromiter(allowed, np.int64), k + 1)
        return _keep_searchable(ids, distances, k=k, allowed=allowed, exclude=exclude)
    fetch = k + 8  # a little slack for tombstones (deleted or quarantined since the build)
    while True:
        ids, distances = index.search(vector, fetch)
        hits = _keep_searchable(ids, distances, k=k, allowed=allowed, exclude=exclude)
        if len(hits) >= k or fetch >= index.size:
            return hits
        fetch = min(fetch * 4, index.size)  # over-fetch adaptively until k pass the filter


def _allowed_ids(filters: Filters) -> set[int] | None:
    if not filters.active():
        return None
    return set(filter_images(searchable_images(), **filters.active()).values_list("pk", flat=True))


def _keep_searchable(ids: np.ndarray, distances: np.ndarray, *, k: int, allowed: set[int] | None,
                     exclude: int | None) -> list[tuple[Image, float]]:
    wanted = [int(i) for i in ids if int(i) != exclude and (allowed is None or int(i) in allowed)]
    images = {image.pk: image for image in searchable_images().filter(pk__in=wanted)
              .select_related("series__study__dataset")}
    hits = [(images[int(i)], float(d)) for i, d in zip(ids, distances) if int(i) in images and int(i) != exclude]
    return hits[:k]


def _vectors_of(index: VectorIndex, ids: list[int]) -> np.ndarray:
    rows = np.searchsorted(index.ids, np.asarray(ids, np.int64))  # index ids are sorted at build time
    return index.vectors[rows] if len(ids) else np.zeros((0, index.vectors.shape[1]), np.float32)
