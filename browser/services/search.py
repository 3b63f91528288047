"""Similarity search: decode -> embed -> index (+ keywords) -> filter -> proximity graph, timed per stage."""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from browser import keywords
from browser.filters import Filters
from browser.graphs import QUERY_NODE, build_proximity_graph, similarity_score
from browser.indexes import VectorIndex
from browser.models import IndexVersion
from browser.ranking import reciprocal_rank_fusion
from browser.selectors import filter_searchable_images
from browser.serializers import result_payload
from browser.services.indexing import get_serving_version
from browser.services.searchers import get_searcher
from browser.services.serving import LocalSearcher, RecallPlan, empty_index
from embeddings.models import EncoderVersion
from embeddings.selectors import load_vectors_for
from embeddings.services import embed_pixels
from ingest.models import Image
from ingest.parsers import parse_image_bytes
from ingest.selectors import get_image, searchable_images

__all__ = ["Filters", "SearchOptions", "search_by_upload", "search_by_image_id", "search_by_keywords",
           "search_by_vector", "nearest_images"]

# A filter matching at most this many images is answered by exact search over them.
SELECTIVE_FILTER_LIMIT = 5000
# Keyword matches considered at most (the filter set of hybrid search; the text list of fused ranking).
KEYWORD_MATCH_LIMIT = 200_000
# Content candidates taken into reciprocal-rank fusion, per requested result.
FUSION_DEPTH_PER_RESULT = 5


@dataclass
class SearchOptions:
    k: int
    filters: Filters = field(default_factory=Filters)
    q: str = ""
    ranking: str = "filter"  # "filter": content ranking within keyword matches; "fused": RRF of both
    recall: float | None = None


@dataclass
class Hit:
    image: Image
    distance: float | None
    text_score: float | None = None
    fused_score: float | None = None


@dataclass
class Stopwatch:
    timings_ms: dict = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        yield
        self.timings_ms[name] = round((time.perf_counter() - started) * 1000.0, 2)


def search_by_upload(*, data: bytes, k: int, encoder: str, filters: Filters, q: str = "", ranking: str = "filter",
                     recall: float | None = None) -> dict:
    """Answer an uploaded PNG/JPEG/DICOM; nothing about the query is stored."""
    clock = Stopwatch()
    version = get_serving_version(encoder)
    with clock.stage("decode"):
        pixels = parse_image_bytes(data).pixels
    with clock.stage("embed"):
        vector = embed_pixels([pixels], version)[0]
    options = SearchOptions(k=k, filters=filters, q=q, ranking=ranking, recall=recall)
    return search_by_vector(vector, version=version, options=options, clock=clock, query_image_id=None)


def search_by_image_id(*, image_id: int, k: int, encoder: str, filters: Filters, q: str = "",
                       ranking: str = "filter", recall: float | None = None) -> dict:
    """'More like this' for an indexed image; the image itself is left out of its results."""
    clock = Stopwatch()
    version = get_serving_version(encoder)
    image = get_image(image_id)
    with clock.stage("embed"):
        stored = load_vectors_for(version, [image.pk]).get(image.pk)
        vector = stored if stored is not None else embed_pixels([_pixels_of(image)], version)[0]
    options = SearchOptions(k=k, filters=filters, q=q, ranking=ranking, recall=recall)
    return search_by_vector(vector, version=version, options=options, clock=clock, query_image_id=image.pk)


def search_by_keywords(*, q: str, k: int, encoder: str, filters: Filters) -> dict:
    """Keyword-only search: images ranked by text relevance; the graph links results by content."""
    clock = Stopwatch()
    version = get_serving_version(encoder)
    with clock.stage("search"):
        matches = text_matches(q, allowed=allowed_ids(filters), exclude=None)[:k]
        hits = [Hit(image, None, text_score=score) for image, score in _with_images(matches)]
    vectors = load_vectors_for(version, [hit.image.pk for hit in hits])
    with clock.stage("graph"):
        graph = _graph(hits, vectors, query_weights=[hit.text_score for hit in hits])
    options = SearchOptions(k=k, filters=filters, q=q, ranking="text")
    return _response(hits, graph, version=version, options=options, clock=clock, query_image_id=None,
                     serving=None)


def _pixels_of(image: Image) -> np.ndarray:
    from ingest.storage import load_pixels

    return load_pixels(image.pixels_path)


def search_by_vector(vector: np.ndarray, *, version: EncoderVersion, options: SearchOptions, clock: Stopwatch,
                     query_image_id: int | None) -> dict:
    record, searcher = get_searcher(version, recall=options.recall)
    with clock.stage("search"):
        hits = rank_images(searcher, vector, options=options, exclude=query_image_id)
    with clock.stage("graph"):
        vectors = searcher.vectors_of([hit.image.pk for hit in hits])
        graph = _graph(hits, vectors, query_weights=None)
    return _response(hits, graph, version=version, options=options, clock=clock, query_image_id=query_image_id,
                     serving=(record, searcher.report))


def rank_images(searcher, vector: np.ndarray, *, options: SearchOptions, exclude: int | None) -> list[Hit]:
    allowed = allowed_ids(options.filters)
    if not keywords.has_terms(options.q):  # no words ("?", "-", stop words only): a plain content query
        return [Hit(image, distance) for image, distance in
                nearest_images(searcher, vector, k=options.k, allowed=allowed, exclude=exclude)]
    matches = text_matches(options.q, allowed=allowed, exclude=exclude)
    if options.ranking != "fused":  # the paper's hybrid search: keywords filter, content ranks
        scores = dict(matches)
        return [Hit(image, distance, text_score=scores.get(image.pk)) for image, distance in
                nearest_images(searcher, vector, k=options.k, allowed=set(scores), exclude=exclude)]
    return fused_ranking(searcher, vector, matches, options=options, allowed=allowed, exclude=exclude)


def fused_ranking(searcher, vector: np.ndarray, matches: list[tuple[int, float]], *, options: SearchOptions,
                  allowed: set[int] | None, exclude: int | None) -> list[Hit]:
    """Reciprocal-rank fusion of the content ranking and the text ranking (both within the filters)."""
    depth = max(options.k * FUSION_DEPTH_PER_RESULT, 50)
    content = nearest_images(searcher, vector, k=depth, allowed=allowed, exclude=exclude)
    text_ids = [image_id for image_id, _ in matches[:depth]]
    images = {image.pk: image for image, _ in content}
    images.update({image.pk: image for image, _ in _with_images([(pk, 0.0) for pk in text_ids])})
    fused = [(pk, score) for pk, score in reciprocal_rank_fusion([[image.pk for image, _ in content], text_ids])
             if pk in images][:options.k]  # cut to k only after dropping what cannot be shown
    distances = {image.pk: distance for image, distance in content}
    missing = [pk for pk, _ in fused if pk not in distances]
    for pk, row in searcher.vectors_of(missing).items():
        distances[pk] = float(np.linalg.norm(row - vector))
    scores = dict(matches)
    return [Hit(images[pk], distances.get(pk), text_score=scores.get(pk), fused_score=score) for pk, score in fused]


def nearest_images(index, vector: np.ndarray, *, k: int, filters: Filters | None = None,
                   allowed: set[int] | None = None, exclude: int | None = None) -> list[tuple[Image, float]]:
    """k nearest searchable images passing the filters; k whenever k images match.

    `index` is a searcher (browser.services.searchers) or a bare VectorIndex; `allowed` (ids) or
    `filters` restricts the results."""
    searcher = _as_searcher(index)
    if filters is not None and allowed is None:
        allowed = allowed_ids(filters)
    if allowed is not None and len(allowed) <= SELECTIVE_FILTER_LIMIT:
        ids, distances = searcher.search_within(vector, np.fromiter(allowed, np.int64, len(allowed)), k + 1)
        return _keep_searchable(ids, distances, k=k, allowed=allowed, exclude=exclude)
    fetch = k + 8  # a little slack for tombstones (deleted or quarantined since the build)
    while True:
        ids, distances = searcher.search(vector, fetch)
        hits = _keep_searchable(ids, distances, k=k, allowed=allowed, exclude=exclude)
        if len(hits) >= k or fetch >= searcher.size or not getattr(searcher, "is_complete", True):
            return hits
        fetch = min(fetch * 4, searcher.size)  # over-fetch adaptively until k pass the filter


def _as_searcher(index):
    if isinstance(index, VectorIndex):
        return LocalSearcher(index, empty_index(index.vectors.shape[1]), RecallPlan("index"))
    return index


def allowed_ids(filters: Filters) -> set[int] | None:
    if not filters.active():
        return None
    return set(filter_searchable_images(filters).values_list("pk", flat=True))


def text_matches(q: str, *, allowed: set[int] | None, exclude: int | None) -> list[tuple[int, float]]:
    """(image id, relevance in (0, 1], relative to the best match) of keyword matches inside `allowed`,
    most relevant first."""
    matches = [(pk, score) for pk, score in keywords.match_images(q, limit=KEYWORD_MATCH_LIMIT)
               if pk != exclude and (allowed is None or pk in allowed)]
    if allowed is None:  # `allowed` is searchable already; the keyword index also holds quarantined images
        searchable = set(searchable_images().filter(pk__in=[pk for pk, _ in matches]).values_list("pk", flat=True))
        matches = [(pk, score) for pk, score in matches if pk in searchable]
    best = max((score for _, score in matches), default=0.0)
    return [(pk, score / best if best > 0 else 1.0) for pk, score in matches]


def _with_images(matches: list[tuple[int, float]]) -> list[tuple[Image, float]]:
    images = searchable_images().filter(pk__in=[pk for pk, _ in matches]).select_related("series__study__dataset")
    by_id = {image.pk: image for image in images}
    return [(by_id[pk], score) for pk, score in matches if pk in by_id]


def _keep_searchable(ids: np.ndarray, distances: np.ndarray, *, k: int, allowed: set[int] | None,
                     exclude: int | None) -> list[tuple[Image, float]]:
    wanted = [int(i) for i in ids if int(i) != exclude and (allowed is None or int(i) in allowed)]
    images = {image.pk: image for image in searchable_images().filter(pk__in=wanted)
              .select_related("series__study__dataset")}
    hits = [(images[int(i)], float(d)) for i, d in zip(ids, distances) if int(i) in images and int(i) != exclude]
    return hits[:k]


def _graph(hits: list[Hit], vectors: dict[int, np.ndarray], *, query_weights: list[float] | None):
    """Proximity graph of the hits that have vectors; keyword-only queries weight the query edges by relevance."""
    with_vectors = [hit for hit in hits if hit.image.pk in vectors]
    ids = [hit.image.pk for hit in with_vectors]
    distances = np.array([hit.distance or 0.0 for hit in with_vectors], np.float32)
    graph = build_proximity_graph(ids, distances, stack_vectors(vectors, ids))
    if query_weights is not None:
        weights = {hit.image.pk: hit.text_score or 0.0 for hit in hits}
        for edge in graph.edges:
            if edge["source"] == QUERY_NODE:
                edge.update(distance=None, weight=weights.get(edge["target"], 0.0))
    return graph


def stack_vectors(vectors: dict[int, np.ndarray], ids: list[int]) -> np.ndarray:
    if not ids:
        return np.zeros((0, 1), np.float32)
    return np.array([vectors[pk] for pk in ids], np.float32)  # (len(ids), dim)


def _response(hits: list[Hit], graph, *, version: EncoderVersion, options: SearchOptions, clock: Stopwatch,
              query_image_id: int | None, serving: tuple[IndexVersion, dict] | None) -> dict:
    return {
        "query": {
            "k": options.k, "encoder": version.name, "encoder_version": version.version, "image_id": query_image_id,
            "filters": options.filters.active(), "q": options.q, "ranking": options.ranking,
            "recall": options.recall, "index": _index_payload(serving),
            "timings_ms": clock.timings_ms, **(serving[1].get("extra", {}) if serving else {}),
        },
        "results": [_result(hit, rank, graph, text_ranking=options.ranking == "text")
                    for rank, hit in enumerate(hits, start=1)],
        "edges": [{**edge, "source": edge["source"] if edge["source"] == QUERY_NODE else int(edge["source"]),
                   "target": int(edge["target"])} for edge in graph.edges],
    }


def _result(hit: Hit, rank: int, graph, *, text_ranking: bool) -> dict:
    """`score` is one scale per answer: similarity 1/(1+distance), or text relevance when words alone ranked.
    A fused keyword hit without a vector has no similarity: None, not its text relevance on another scale."""
    if hit.distance is not None:
        score = float(similarity_score(hit.distance))
    elif text_ranking:
        score = hit.text_score or 0.0
    else:
        score = None
    payload = result_payload(hit.image, rank=rank, distance=hit.distance, score=score,
                             community=graph.communities.get(hit.image.pk, 0))
    return payload | {"text_score": hit.text_score, "fused_score": hit.fused_score}


def _index_payload(serving: tuple[IndexVersion, dict] | None) -> dict | None:
    if serving is None:
        return None
    record, report = serving
    return {"id": record.pk, "method": record.method, "vector_count": record.vector_count,
            "target_recall": record.target_recall, "measured_recall": record.measured_recall,
            "params": record.params, **{key: value for key, value in report.items() if key != "extra"}}
