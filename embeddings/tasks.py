"""Celery tasks of the embeddings app (thin wrappers over services)."""
from celery import shared_task
from django.db import InterfaceError, OperationalError


# A database restart or a storage hiccup must not lose a chunk (and with it the index build after it).
TRANSIENT = (OperationalError, InterfaceError, OSError)


@shared_task(bind=True, max_retries=5, acks_late=True, reject_on_worker_lost=True,  # idempotent: redo if killed
             autoretry_for=TRANSIENT, retry_backoff=True, retry_jitter=True)
def extract_embeddings_task(self, image_ids: list[int], encoder_version_id: int) -> int:
    from embeddings.errors import CheckpointUnavailable
    from embeddings.models import EncoderVersion
    from embeddings.services import extract_embeddings

    version = EncoderVersion.objects.get(pk=encoder_version_id)
    try:
        return extract_embeddings(image_ids=image_ids, version=version)
    except CheckpointUnavailable as exc:
        raise self.retry(exc=exc, countdown=30)


# Acknowledged when it starts, not when it ends: a run outlasting the broker's visibility timeout would
# otherwise be handed to another worker and trained again, in a loop. A worker that dies mid-run leaves
# resumable state; sending the same task again continues it.
@shared_task(acks_late=False)
def train_encoder_task(name: str, dataset_dirs: list[str], options: dict, label_column: str = "label",
                       activate: bool = False, max_images: int | None = None) -> int:
    """Train one version on the worker's device (options.device defaults to auto); returns the TrainingRun id.

    `options` holds TrainingOptions fields (epochs, img_size, batch_size, ...). A worker that
    dies mid-run leaves resumable state: sending the same task again continues it.
    """
    from embeddings.training_service import train_encoder_version, training_options_from

    run = train_encoder_version(name=name, dataset_dirs=dataset_dirs, options=training_options_from(name, options),
                                label_column=label_column, activate=activate, max_images=max_images)
    return run.pk


@shared_task(acks_late=False, ignore_result=True)
def catch_up_embeddings_task() -> None:
    """Periodic (CELERY_BEAT_SCHEDULE): embed and index what no task did, e.g. images stored while the
    broker was down; with nothing missing it does nothing."""
    from ingest.services import embed_missing_images

    embed_missing_images()  # logs a failure; the next round tries again
