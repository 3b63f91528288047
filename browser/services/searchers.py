"""Choose what answers a query: the in-process index (default) or the Celery shards (SEARCH_SHARDS > 1)."""
from __future__ import annotations

from browser.models import IndexVersion
from browser.services.indexing import shard_count
from browser.services.serving import get_local_searcher
from embeddings.models import EncoderVersion


def get_searcher(version: EncoderVersion, *, recall: float | None) -> tuple[IndexVersion, object]:
    if shard_count() > 1:
        from browser.services.shards import get_sharded_searcher

        return get_sharded_searcher(version, recall=recall)
    return get_local_searcher(version, recall=recall)
