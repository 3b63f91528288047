"""How the tasks behave on real workers: what is redelivered, retried and caught up."""
import pytest
from django.conf import settings

from browser.models import IndexVersion
from embeddings.models import Embedding
from embeddings.tasks import catch_up_embeddings_task, extract_embeddings_task, train_encoder_task
from tests.factories import ingest_png

pytestmark = pytest.mark.django_db


def test_images_no_task_embedded_are_caught_up_by_the_periodic_task():
    stored = [ingest_png(seed=seed) for seed in range(3)]  # stored without embedding, as with the broker down

    catch_up_embeddings_task()
    again = IndexVersion.objects.count()
    catch_up_embeddings_task()  # nothing missing: nothing to do

    assert set(Embedding.objects.values_list("image_id", flat=True)) == {image.pk for image in stored}
    assert IndexVersion.objects.filter(status="ready").exists() and IndexVersion.objects.count() == again
    assert settings.CELERY_BEAT_SCHEDULE["catch-up-embeddings"]["task"] == catch_up_embeddings_task.name


def test_long_training_is_not_redelivered_and_lost_embedding_chunks_are():
    # Redis redelivers an unacknowledged task after the visibility timeout: a training run acknowledged
    # only at its end would be trained again by another worker; an embedding chunk of a killed worker
    # must be (it is idempotent).
    assert train_encoder_task.acks_late is False
    assert extract_embeddings_task.acks_late and extract_embeddings_task.reject_on_worker_lost
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] >= 3600
