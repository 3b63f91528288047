"""Build, publish and load index versions. A new index is written to a temporary folder,
renamed into place, and only then marked READY, so a failed or half-built index is never served."""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from browser.indexes import (VectorIndex, build_index, calibrate, load_index, save_index, save_sharded,
                             shard_rows)
from browser.models import IndexVersion
from browser.selectors import newest_ready_index
from cbir.errors import ServiceNotReady
from embeddings.models import Embedding, EncoderVersion
from embeddings.selectors import load_vectors
from embeddings.services import missing_vector_count
from ingest.storage import fsync_directory, fsync_tree

logger = logging.getLogger(__name__)
KEEP_RETIRED = 1  # retired index folders kept on disk for a quick manual rollback
# Most vectors an ingestion-queued build leaves in the delta, whatever the share allows: every web process
# holds the delta and searches it exactly on each query (50,000 x 512 float32 = 100 MB).
DELTA_CEILING = 50_000
INTERRUPTED = "interrupted: the process building this index stopped before publishing it"

_loaded: dict[int, tuple[int, VectorIndex]] = {}  # encoder version id -> (index version id, index)
_lock = threading.Lock()


def forget_loaded_indexes() -> None:
    from browser.services.serving import forget_deltas

    with _lock:
        _loaded.clear()
    forget_deltas()


def index_directory(version: EncoderVersion, index_version_id: int) -> Path:
    return Path(settings.INDEX_DIR) / version.name / version.version / f"{index_version_id:08d}"


def rebuild_index(version: EncoderVersion, *, force: bool = True) -> IndexVersion:
    """Build an index over all searchable vectors of `version` and publish it atomically.

    Builds of one encoder version take turns (`exclusive_build`): a later build includes every vector
    the earlier one saw, so waiting loses nothing, and two builders never race to publish. With
    force=False (builds queued by ingestion) the newest index is kept while it is complete and the
    vectors embedded since are few (`needs_rebuild`): the delta serves them exactly, and builds queued
    behind a running one find nothing left to do instead of each rebuilding everything."""
    with exclusive_build(version):
        close_interrupted_builds(version)
        current = None if force else newest_ready_index(version)
        new = 0 if current is None else vectors_since(version, current)
        if current is not None and not needs_rebuild(current, new):
            logger.info("index %s for %s kept: %d vectors since it was built", current.pk, version, new)
            return current
        return _build_and_publish(version)


def vectors_since(version: EncoderVersion, record: IndexVersion) -> int:
    """Vectors of `version` stored after `record` began (those its delta serves; an index from before
    watermarks were kept counts them all, as serving.get_delta does)."""
    watermark = int((record.params or {}).get("embedding_watermark", 0))
    return Embedding.objects.filter(encoder_version=version, pk__gt=watermark).count()


def needs_rebuild(record: IndexVersion, new: int) -> bool:
    """Whether ingestion should replace `record`, with `new` vectors stored since it began: it missed vectors
    when it was built, or its delta has outgrown max(INDEX_REBUILD_MIN_DELTA, INDEX_REBUILD_DELTA_SHARE x its
    size), at most DELTA_CEILING."""
    if not (record.params or {}).get("complete", True) or layout_changed(record):
        return True
    allowance = min(DELTA_CEILING, max(settings.INDEX_REBUILD_MIN_DELTA,
                                       settings.INDEX_REBUILD_DELTA_SHARE * record.vector_count))
    return new > 0 and new > allowance


def layout_changed(record: IndexVersion) -> bool:
    """Whether CBIR_SEARCH_SHARDS now asks for another layout than `record` has (sharded or not, how many)."""
    if (record.method == "sharded") != (shard_count() > 1):
        return True
    return record.method == "sharded" and len((record.params or {}).get("shards", [])) != shard_count()


@contextlib.contextmanager
def exclusive_build(version: EncoderVersion) -> Iterator[None]:
    """Hold an OS lock on the version's index folder (shared by every web and worker process that
    serves it). The kernel drops it when its holder dies, so a crashed build never blocks the next.
    The lock file stays: removing it would let a waiter lock a file nobody else can see."""
    folder = Path(settings.INDEX_DIR) / version.name / version.version
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "build.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def close_interrupted_builds(version: EncoderVersion) -> int:
    """Mark FAILED the BUILDING rows left by builders that died (only callable under `exclusive_build`,
    where no other build of the version can be running) and remove their staging folders."""
    stale = IndexVersion.objects.filter(encoder_version=version, status=IndexVersion.Status.BUILDING)
    for record in stale:
        directory = index_directory(version, record.pk)
        shutil.rmtree(directory.with_name(directory.name + ".partial"), ignore_errors=True)
    closed = stale.update(status=IndexVersion.Status.FAILED, error=INTERRUPTED)
    if closed:
        logger.warning("%d interrupted index build(s) of %s marked failed", closed, version)
    return closed


def _build_and_publish(version: EncoderVersion) -> IndexVersion:
    record = IndexVersion.objects.create(encoder_version=version, path="", method="pending",
                                         target_recall=settings.ANN_TARGET_RECALL)
    try:
        # Vectors stored after this point are served from the delta until the next build.
        watermark = Embedding.objects.filter(encoder_version=version).aggregate(last=Max("pk"))["last"] or 0
        # complete: every searchable image had a vector of this version when the build began
        missing = missing_vector_count(version)
        ids, vectors = load_vectors(version)
        if shard_count() > 1:
            index, measured, directory = build_sharded_folder(ids, vectors, index_directory(version, record.pk))
        else:
            index = build_index(ids, vectors, target_recall=settings.ANN_TARGET_RECALL, k=settings.ANN_K,
                                min_points=settings.ANN_MIN_POINTS)
            measured = measure_index(index, vectors)
            directory = None
        index.params.update(embedding_watermark=watermark, complete=not missing, missing_vectors=missing)
        directory = directory or write_index_folder(index, index_directory(version, record.pk))
    except Exception as exc:
        IndexVersion.objects.filter(pk=record.pk).update(status=IndexVersion.Status.FAILED, error=str(exc)[:2000])
        logger.exception("index build %s for %s failed", record.pk, version)
        raise
    publish(record, index=index, directory=directory, measured_recall=measured)
    remove_retired_folders(version)
    logger.info("index %s for %s ready: %s over %d vectors", record.pk, version, index.method, index.size)
    return record


def measure_index(index: VectorIndex, vectors) -> float | None:
    """Recall on held-out-like probes, with the per-vote recalls and far-query distance in params."""
    return calibrate(index, vectors, settings.ANN_K)


def shard_count() -> int:
    """SEARCH_SHARDS > 1 splits each index into that many shards served by Celery workers (queue "search")."""
    return int(getattr(settings, "SEARCH_SHARDS", 0) or 0)


def build_sharded_folder(ids, vectors, directory: Path) -> tuple[VectorIndex, float | None, Path]:
    """Build one index per shard and publish them together; returns a summary index (no vectors),
    the mean of the shards' measured recalls and the folder."""
    shards = []
    for rows in shard_rows(len(ids), shard_count()):
        shard = build_index(ids[rows], vectors[rows], target_recall=settings.ANN_TARGET_RECALL, k=settings.ANN_K,
                            min_points=settings.ANN_MIN_POINTS)
        shard.params["measured_recall"] = measure_index(shard, vectors[rows])
        shards.append(shard)
    staging = directory.with_name(directory.name + ".partial")
    publish_folder(staging, directory, lambda: save_sharded(shards, ids, staging))
    recalls = [shard.params["measured_recall"] for shard in shards if shard.params["measured_recall"] is not None]
    summary = VectorIndex(ids, vectors[:0], "sharded", {"shards": [shard.params for shard in shards],
                                                        "shard_methods": [shard.method for shard in shards]})
    return summary, (float(np.mean(recalls)) if recalls else None), directory


def write_index_folder(index: VectorIndex, directory: Path) -> Path:
    staging = directory.with_name(directory.name + ".partial")
    publish_folder(staging, directory, lambda: save_index(index, staging))
    return directory


def publish_folder(staging: Path, directory: Path, write) -> None:
    """`write()` fills `staging`, which is synced to disk and renamed to `directory`; a failed write
    leaves neither folder behind."""
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    try:
        write()
        fsync_tree(staging)
        os.replace(staging, directory)
        fsync_directory(directory.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def publish(record: IndexVersion, *, index: VectorIndex, directory: Path, measured_recall: float | None) -> None:
    with transaction.atomic():
        IndexVersion.objects.filter(encoder_version=record.encoder_version, status=IndexVersion.Status.READY) \
            .update(status=IndexVersion.Status.RETIRED)
        record.path = str(directory)
        record.method = index.method
        record.vector_count = index.size
        record.params = index.params
        record.measured_recall = measured_recall
        record.status = IndexVersion.Status.READY
        record.save()


def remove_retired_folders(version: EncoderVersion) -> None:
    retired = IndexVersion.objects.filter(encoder_version=version, status=IndexVersion.Status.RETIRED).order_by("-id")
    for old in retired[KEEP_RETIRED:]:
        if old.path:
            shutil.rmtree(old.path, ignore_errors=True)


def get_serving_version(name: str) -> EncoderVersion:
    """The version of encoder `name` that queries use: the active one once it has a complete READY index
    (built when every searchable image had a vector of it), until then the newest earlier version that has
    one. Activating a new version (which re-embeds everything in the background) thus never takes search
    down or serves a half-filled index: the old index serves until the new one is complete."""
    from embeddings.services import get_active_version

    active = get_active_version(name)
    if has_complete_index(active):
        return active
    for previous in (EncoderVersion.objects.filter(name=name, indexes__status=IndexVersion.Status.READY)
                     .exclude(pk=active.pk).distinct().order_by("-pk")):
        if has_complete_index(previous):
            return previous
    return active  # nothing complete anywhere: the active version's partial index beats no search


def has_complete_index(version: EncoderVersion) -> bool:
    """Whether the version's newest READY index was built when no searchable image lacked a vector of the
    version (indexes built before this flag existed count as complete)."""
    latest = newest_ready_index(version)
    return latest is not None and bool((latest.params or {}).get("complete", True))


def get_serving_index(version: EncoderVersion) -> tuple[IndexVersion, VectorIndex]:
    """The newest READY index of `version`, loaded once per process and swapped when a newer one appears."""
    latest = newest_ready_index(version)
    if latest is None:
        raise ServiceNotReady(f"encoder {version} has no index yet; run: manage.py build_index --encoder {version.name}")
    with _lock:
        cached = _loaded.get(version.pk)
        if cached and cached[0] == latest.pk:
            return latest, cached[1]
    index = load_index(Path(latest.path))
    with _lock:
        _loaded[version.pk] = (latest.pk, index)
    return latest, index
