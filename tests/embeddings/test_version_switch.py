"""Switching an encoder to a new version: the old index serves until the new one covers every image,
one unreadable file never blocks a re-embed, and the default encoder follows its new version."""
import pytest
from django.db import transaction

from browser.services.indexing import get_serving_index, get_serving_version
from embeddings import services
from embeddings.models import Embedding, EncoderVersion
from embeddings.selectors import get_default_encoder_name
from embeddings.training_service import activate_version, make_default
from ingest.models import Image
from ingest.services import embed_and_index_ready_images
from ingest.storage import media_path
from tests.factories import ingest_png

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def indexed():
    images = [ingest_png(seed=seed) for seed in range(8)]
    services.embed_and_index_new_images(image_ids=[image.pk for image in images])
    return images, services.get_active_version("baseline")


def new_baseline_version(old: EncoderVersion, version: str = "v2") -> EncoderVersion:
    return EncoderVersion.objects.create(name="baseline", version=version, dim=old.dim, config=old.config)


def test_images_ingested_during_a_re_embed_do_not_switch_search_to_a_half_filled_index(indexed, monkeypatch):
    images, old = indexed
    new = new_baseline_version(old)
    with monkeypatch.context() as patched:  # the background re-embed is still queued
        patched.setattr(services, "embed_and_index_new_images", lambda **kwargs: None)
        activate_version(new)

    late = ingest_png(seed=100)
    embed_and_index_ready_images([late.pk])  # embeds the newcomer with the new version and builds its index
    during = get_serving_version("baseline")
    services.embed_and_index_new_images()  # the re-embed runs
    after = get_serving_version("baseline")

    assert during == old and get_serving_index(old)[1].size == len(images)
    assert after == new and get_serving_index(new)[1].size == len(images) + 1


def test_an_unreadable_file_is_quarantined_and_does_not_block_the_re_embed(indexed):
    images, old = indexed
    lost = images[3]
    media_path(lost.pixels_path).unlink()
    new = new_baseline_version(old)

    with transaction.atomic():
        activate_version(new)  # the re-embed runs when this commits (eager Celery)

    lost.refresh_from_db()
    assert lost.status == Image.Status.QUARANTINED and "pixels unreadable" in lost.status_reason
    assert Embedding.objects.filter(encoder_version=new).count() == len(images) - 1
    assert get_serving_version("baseline") == new and get_serving_index(new)[1].size == len(images) - 1


def test_releasing_an_image_whose_file_is_lost_quarantines_it_again_without_an_error(indexed):
    from browser.curation import release_from_quarantine

    held = ingest_png(seed=50)
    Image.objects.filter(pk=held.pk).update(status=Image.Status.QUARANTINED)
    held.refresh_from_db()
    media_path(held.pixels_path).unlink()

    release_from_quarantine(image=held, reviewer_note="no burned-in text")

    held.refresh_from_db()
    assert held.status == Image.Status.QUARANTINED and "pixels unreadable" in held.status_reason


def test_the_default_encoder_follows_its_newly_activated_version(monkeypatch):
    monkeypatch.setattr(services, "embed_and_index_new_images", lambda **kwargs: None)
    first = EncoderVersion.objects.create(name="cnn-autoencoder", version="v1", dim=8, is_active=True)
    make_default(first)
    second = EncoderVersion.objects.create(name="cnn-autoencoder", version="v2", dim=8)

    activate_version(second)

    assert get_default_encoder_name() == "cnn-autoencoder"
    assert EncoderVersion.objects.get(is_default=True) == second


def test_a_pass_with_nothing_to_embed_leaves_a_complete_index_alone(indexed):
    from browser.models import IndexVersion

    before = IndexVersion.objects.count()

    services.embed_and_index_new_images()  # e.g. another encoder was activated: this one has nothing missing

    assert IndexVersion.objects.count() == before


def test_an_explicit_cbir_default_encoder_wins_over_the_trained_default(settings):
    marked = EncoderVersion.objects.create(name="cnn-autoencoder", version="v1", dim=8, is_active=True)
    make_default(marked)
    settings.DEFAULT_ENCODER = "baseline"

    settings.DEFAULT_ENCODER_PINNED = False
    unpinned = get_default_encoder_name()
    settings.DEFAULT_ENCODER_PINNED = True
    pinned = get_default_encoder_name()

    assert (unpinned, pinned) == ("cnn-autoencoder", "baseline")
