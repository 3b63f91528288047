"""Celery tasks of the embeddings app (thin wrappers over services)."""
from celery import shared_task


@shared_task(bind=True, max_retries=3, acks_late=True)
def extract_embeddings_task(self, image_ids: list[int], encoder_version_id: int) -> int:
    from embeddings.errors import CheckpointUnavailable
    from embeddings.models import EncoderVersion
    from embeddings.services import extract_embeddings

    version = EncoderVersion.objects.get(pk=encoder_version_id)
    try:
        return extract_embeddings(image_ids=image_ids, version=version)
    except CheckpointUnavailable as exc:
        raise self.retry(exc=exc, countdown=30)
