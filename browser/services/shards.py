"""Scatter-gather over index shards served by Celery workers (queue "search"): every shard returns its
top-k, the web process merges them; a shard that errs or misses the deadline is reported, not waited for."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings

from browser.indexes import VectorIndex, load_index, load_index_ids, shard_directory
from browser.models import IndexVersion
from browser.selectors import newest_ready_index
from browser.services.serving import get_delta, merge_hits, plan_recall_from, rows_of
from cbir.errors import ServiceNotReady
from embeddings.models import EncoderVersion
from embeddings.selectors import load_vectors_for

logger = logging.getLogger(__name__)
_shards: dict[str, VectorIndex] = {}  # shard folder -> loaded shard (in a worker process)
_ids: dict[int, tuple[int, np.ndarray]] = {}  # index version id -> (encoder version id, every id of the index)
_lock = threading.Lock()
# Builds kept in memory per encoder version: the serving one and the one it replaced, which queries already
# in flight still ask for. Older ones are dropped, or a long-lived process would hold every index it served.
KEEP_BUILDS = 2


def search_shard(*, directory: str, vector: list[float], k: int, allowed_ids: list[int] | None,
                 recall: float | None) -> dict:
    """Top-k of one shard (what a worker runs); the shard is loaded once per worker process."""
    shard = _load_shard(directory)
    query = np.asarray(vector, np.float32)
    if allowed_ids is not None:
        ids, distances = shard.exact_search_within(query, np.asarray(allowed_ids, np.int64), k)
    else:
        plan = plan_recall_from(shard.method, shard.params.get("measured_recall"), shard.params, recall)
        if plan.mode == "exact":
            ids, distances = shard.exact_search(query, k)
        else:
            ids, distances = shard.search(query, k, votes_required=plan.votes_required)
    return {"ids": ids.tolist(), "distances": distances.tolist(), "method": shard.method, "size": shard.size}


def _load_shard(directory: str) -> VectorIndex:
    with _lock:
        if directory in _shards:
            return _shards[directory]
    shard = load_index(Path(directory))
    with _lock:
        _shards[directory] = shard
        _forget_older_shards(Path(directory))
    return shard


def _forget_older_shards(loaded: Path) -> None:
    """Drop the cached shards of builds older than the newest KEEP_BUILDS of the same encoder version.
    A shard folder is INDEX_DIR/NAME/VERSION/<index id, zero-padded>/shard-NN (browser.indexes), so the
    build folders of one encoder version sort by age. Call with _lock held."""
    def build_of(directory: str) -> Path:
        return Path(directory).parent

    same_version = [directory for directory in _shards if build_of(directory).parent == loaded.parent.parent]
    kept = sorted({build_of(directory).name for directory in same_version})[-KEEP_BUILDS:]
    for directory in same_version:
        if build_of(directory).name not in kept:
            del _shards[directory]


@dataclass
class ShardedSearcher:
    """Looks like LocalSearcher to the search service; each search is one scatter-gather round."""

    record: IndexVersion
    ids: np.ndarray  # every id in the shards
    delta: VectorIndex
    recall: float | None
    version: EncoderVersion
    report: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.ids.size) + self.delta.size

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return merge_hits([*self._scatter(vector, k, None), self.delta.exact_search(vector, k)], k)

    def search_within(self, vector: np.ndarray, allowed_ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        parts = self._scatter(vector, k, [int(i) for i in allowed_ids])
        return merge_hits([*parts, self.delta.exact_search_within(vector, allowed_ids, k)], k)

    def vectors_of(self, ids: list[int]) -> dict[int, np.ndarray]:
        return {**load_vectors_for(self.version, ids), **rows_of(self.delta, ids)}

    @property
    def is_complete(self) -> bool:
        """False after a round in which a shard failed: over-fetching again would only wait again."""
        return all(status["status"] == "ok" for status in self.report.get("extra", {}).get("shards", []))

    def _scatter(self, vector: np.ndarray, k: int, allowed: list[int] | None) -> list[tuple[np.ndarray, np.ndarray]]:
        statuses, parts = gather_shards(self.record, vector, k=k, allowed=allowed, recall=self.recall)
        self.report["extra"] = {"shards": statuses}
        return parts


def gather_shards(record: IndexVersion, vector: np.ndarray, *, k: int, allowed: list[int] | None,
                  recall: float | None) -> tuple[list[dict], list[tuple[np.ndarray, np.ndarray]]]:
    """Send one task per shard, wait at most SEARCH_SHARD_TIMEOUT seconds in all; (statuses, answers)."""
    from browser.tasks import search_shard_task

    timeout = float(getattr(settings, "SEARCH_SHARD_TIMEOUT", 2.0))
    payload = [float(value) for value in vector]
    started = time.perf_counter()
    count = len(record.params.get("shards", []))
    try:
        pending = [search_shard_task.apply_async(
            kwargs={"directory": str(shard_directory(Path(record.path), number)), "vector": payload, "k": k,
                    "allowed_ids": allowed, "recall": recall}, expires=timeout * 2)
            for number in range(count)]
    except Exception as exc:  # the broker (or result backend) is down: every shard is unreachable
        # the message can name the broker URL (with its password): the log gets the type, the answer too
        logger.error("search shards unreachable: %s", type(exc).__name__)
        return [{"shard": number, "status": "error", "error": f"broker unreachable ({type(exc).__name__})"}
                for number in range(count)], []
    statuses, parts = [], []
    for number, result in enumerate(pending):
        remaining = max(0.0, timeout - (time.perf_counter() - started))
        status = {"shard": number, "status": "ok"}
        try:
            answer = result.get(timeout=remaining, interval=0.05, propagate=True, disable_sync_subtasks=False)
            parts.append((np.asarray(answer["ids"], np.int64), np.asarray(answer["distances"], np.float32)))
            status["count"] = len(answer["ids"])
        except CeleryTimeout:
            status.update(status="timeout", error=f"no answer within {timeout:g} s")
        except Exception as exc:  # a shard task that raised: report it, keep the others
            # the message holds server paths: it stays in the server's log, the answer names the error only
            logger.warning("search shard %d of index %s failed: %s", number, record.pk, exc)
            status.update(status="error", error=f"{type(exc).__name__} in shard {number}; see the server log")
        status["ms"] = round((time.perf_counter() - started) * 1000.0, 2)
        statuses.append(status)
    stop_waiting(pending)
    return statuses, parts


def stop_waiting(results) -> None:
    """Unsubscribe from the answers that missed the deadline and delete those read, so that they do not
    pile up in the result backend."""
    for result in results:
        try:
            if result.ready():
                result.forget()
            else:
                result.backend.remove_pending_result(result)
        except Exception:  # best effort: the broker may be the thing that failed
            pass


def get_sharded_searcher(version: EncoderVersion, *, recall: float | None) -> tuple[IndexVersion, ShardedSearcher]:
    record = newest_ready_index(version)
    if record is None or record.method != "sharded":
        raise ServiceNotReady(f"encoder {version} has no sharded index yet; rebuild it with SEARCH_SHARDS set")
    ids = _index_ids(record)
    summary = VectorIndex(ids, np.zeros((0, version.dim), np.float32), "sharded")
    delta = get_delta(version, record, summary)
    report = {"delta_count": delta.size, "requested_recall": recall, "served_by": "shards",
              "shard_count": len(record.params.get("shards", []))}
    return record, ShardedSearcher(record, ids, delta, recall, version, report)


def _index_ids(record: IndexVersion) -> np.ndarray:
    with _lock:
        if record.pk in _ids:
            return _ids[record.pk][1]
    ids = load_index_ids(Path(record.path))
    with _lock:
        _ids[record.pk] = (record.encoder_version_id, ids)
        builds = sorted(pk for pk, (version_id, _) in _ids.items() if version_id == record.encoder_version_id)
        for pk in builds[:-KEEP_BUILDS]:  # index ids grow with every build
            del _ids[pk]
    return ids
