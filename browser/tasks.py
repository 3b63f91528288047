"""Celery tasks of the browser app (thin wrappers over services)."""
from celery import shared_task


@shared_task(acks_late=True)
def build_index_task(encoder_version_id: int) -> int:
    from browser.services import rebuild_index
    from embeddings.models import EncoderVersion

    return rebuild_index(EncoderVersion.objects.get(pk=encoder_version_id)).pk
