"""Celery tasks of the browser app (thin wrappers over services)."""
from celery import shared_task

from embeddings.tasks import TRANSIENT


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=TRANSIENT, retry_backoff=True,
             retry_jitter=True, max_retries=5)
def build_index_task(encoder_version_id: int, force: bool = False) -> int:
    """Queued after embedding: keeps the current index while its delta is small (rebuild_index)."""
    from browser.services import rebuild_index
    from embeddings.models import EncoderVersion

    return rebuild_index(EncoderVersion.objects.get(pk=encoder_version_id), force=force).pk


# Routed to queue "search" (CELERY_TASK_ROUTES). Not acks_late: a query is worth nothing after its
# deadline, so a lost shard answer is reported by the caller rather than redelivered.
@shared_task(acks_late=False, ignore_result=False)
def search_shard_task(*, directory: str, vector: list[float], k: int, allowed_ids: list[int] | None = None,
                      recall: float | None = None) -> dict:
    from browser.services.shards import search_shard

    return search_shard(directory=directory, vector=vector, k=k, allowed_ids=allowed_ids, recall=recall)
