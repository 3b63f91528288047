"""Encoder versions, embedding extraction and the hand-off to indexing."""
from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from django.conf import settings
from django.db import transaction

from embeddings.encoders.base import Encoder
from embeddings.encoders.registry import TRAINING_FREE_ENCODERS, build_encoder, get_encoder_class, known_encoders
from embeddings.errors import CheckpointUnavailable, UnknownEncoder
from embeddings.models import Embedding, EncoderVersion

logger = logging.getLogger(__name__)


def get_active_version(name: str) -> EncoderVersion:
    """The version queries and indexing use; training-free encoders get theirs on first use."""
    if name not in known_encoders():
        raise UnknownEncoder(f"unknown encoder {name!r}; known: {', '.join(known_encoders())}")
    version = EncoderVersion.objects.filter(name=name, is_active=True).first()
    if version is not None:
        return version
    if name in TRAINING_FREE_ENCODERS:
        return _register_training_free_version(name)
    raise CheckpointUnavailable(f"encoder {name!r} has no trained version yet; run: manage.py train_encoder {name}")


def _register_training_free_version(name: str) -> EncoderVersion:
    encoder = build_encoder(name)
    with transaction.atomic():
        version, _ = EncoderVersion.objects.get_or_create(
            name=name, version=encoder.version,
            defaults={"dim": encoder.dim, "config": encoder.config(), "is_active": True},
        )
    return version


def list_active_versions() -> list[EncoderVersion]:
    return list(EncoderVersion.objects.filter(is_active=True).order_by("name"))


def load_encoder(version: EncoderVersion) -> Encoder:
    return _load_encoder_cached(version.name, version.version, version.checkpoint_path,
                                tuple(sorted(version.config.items())) if version.name in TRAINING_FREE_ENCODERS else ())


@functools.lru_cache(maxsize=8)
def _load_encoder_cached(name: str, version: str, checkpoint_path: str, config_items: tuple) -> Encoder:
    if name in TRAINING_FREE_ENCODERS:
        return build_encoder(name, **dict(config_items))
    path = Path(checkpoint_path)
    if not path.exists():
        raise CheckpointUnavailable(f"checkpoint of {name}@{version} is missing at {path}")
    try:
        return get_encoder_class(name).load(path)
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, EOFError) as exc:  # truncated, edited, partial
        raise CheckpointUnavailable(f"checkpoint of {name}@{version} at {path} is unreadable "
                                    f"({type(exc).__name__}); retrain it or activate another version") from exc


def vector_bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def embed_pixels(pixels: Sequence[np.ndarray], version: EncoderVersion) -> np.ndarray:
    """uint8 images -> float32 (n, dim) with the given encoder version."""
    vectors = load_encoder(version).embed(list(pixels))
    if vectors.shape != (len(pixels), version.dim):
        raise RuntimeError(f"{version} returned shape {vectors.shape}, expected ({len(pixels)}, {version.dim})")
    return vectors.astype(np.float32, copy=False)


def missing_image_ids(version: EncoderVersion, image_ids: Iterable[int] | None = None) -> list[int]:
    return list(_missing_images(version, image_ids).order_by("pk").values_list("pk", flat=True))


def renew_vectors(image_ids: Iterable[int]) -> int:
    """Store these images' vectors again under new row ids. An index serves the vectors it was built with plus
    the delta of rows newer than its watermark; an image left out of the index (quarantined when it was built)
    whose vector is older would otherwise stay unsearchable until the next full rebuild. Returns the count."""
    rows = list(Embedding.objects.filter(image_id__in=list(image_ids)))
    if rows:
        Embedding.objects.filter(pk__in=[row.pk for row in rows]).delete()
        Embedding.objects.bulk_create([Embedding(image_id=row.image_id, encoder_version_id=row.encoder_version_id,
                                                 vector=row.vector) for row in rows])
    return len(rows)


def missing_vector_count(version: EncoderVersion) -> int:
    """How many searchable images have no vector of `version` (one COUNT query, no id list)."""
    return _missing_images(version).count()


def _missing_images(version: EncoderVersion, image_ids: Iterable[int] | None = None):
    from ingest.selectors import searchable_images

    images = searchable_images()
    if image_ids is not None:
        images = images.filter(pk__in=list(image_ids))
    return images.exclude(embeddings__encoder_version=version)


def extract_embeddings(*, image_ids: Sequence[int], version: EncoderVersion) -> int:
    """Embed the given images that lack a vector of this version; idempotent. Returns how many were added.

    An image whose pixels cannot be read (its file lost or damaged on disk) is quarantined and skipped,
    so one bad file never blocks the rest of its chunk or a whole re-embed."""
    from ingest.models import Image

    todo = missing_image_ids(version, image_ids)
    images = list(Image.objects.filter(pk__in=todo).order_by("pk"))
    added = 0
    for start in range(0, len(images), settings.EMBED_BATCH_SIZE):
        batch, pixels = _readable_pixels(images[start:start + settings.EMBED_BATCH_SIZE])
        if not batch:
            continue
        vectors = embed_pixels(pixels, version)
        Embedding.objects.bulk_create(
            [Embedding(image=image, encoder_version=version, vector=vector_bytes(vector))
             for image, vector in zip(batch, vectors)],
            ignore_conflicts=True,  # a concurrent worker may have embedded some already
        )
        added += len(batch)
    return added


def _readable_pixels(images: list) -> tuple[list, list[np.ndarray]]:
    """The images whose pixels load, with their pixels. The others (file lost or damaged on disk) go to
    the curators' quarantine with the reason: they could be neither shown nor searched, and releasing
    one after restoring its file embeds it again."""
    from ingest.models import Image
    from ingest.storage import load_pixels

    kept, pixels = [], []
    for image in images:
        try:
            pixels.append(load_pixels(image.pixels_path))
        except (OSError, ValueError) as exc:
            logger.error("image %s quarantined: its pixels cannot be read (%s)", image.pk, type(exc).__name__)
            reason = f"pixels unreadable when embedding ({type(exc).__name__}); restore the file, then release"
            Image.objects.filter(pk=image.pk).update(status=Image.Status.QUARANTINED, status_reason=reason)
            continue
        kept.append(image)
    return kept, pixels


def chunked(values: Sequence[int], size: int) -> list[list[int]]:
    return [list(values[start:start + size]) for start in range(0, len(values), size)]


def versions_to_embed() -> list[EncoderVersion]:
    """Every active encoder version; the configured default's when none is active yet."""
    return list_active_versions() or [get_active_version(settings.DEFAULT_ENCODER)]


def embed_and_index_new_images(*, image_ids: Sequence[int] | None = None, progress: bool = False,
                               chunk_size: int = 256) -> None:
    """Embed images with every active encoder (in chunks, as Celery tasks) and rebuild their indexes.

    A failing encoder does not stop the others; the first failure is raised after all were tried.
    """
    failures = []
    for version in versions_to_embed():
        try:
            _embed_and_index(version, image_ids=image_ids, progress=progress, chunk_size=chunk_size)
        except Exception as exc:
            logger.exception("embedding or indexing with %s failed", version)
            failures.append(exc)
    if failures:
        raise failures[0]


def _embed_and_index(version: EncoderVersion, *, image_ids: Sequence[int] | None, progress: bool,
                     chunk_size: int) -> None:
    from celery import chord
    from tqdm import tqdm

    from browser.services.indexing import has_complete_index
    from browser.tasks import build_index_task
    from embeddings.tasks import extract_embeddings_task

    chunks = chunked(missing_image_ids(version, image_ids), chunk_size)
    if not chunks and has_complete_index(version):
        return  # nothing to add: activating another encoder must not rebuild this one's index for nothing
    if settings.CELERY_TASK_ALWAYS_EAGER:
        for chunk in tqdm(chunks, desc=f"embed {version}", unit="chunk", disable=not progress):
            extract_embeddings_task.delay(chunk, version.pk)
        build_index_task.delay(version.pk)
    else:  # the build runs only if every chunk succeeded
        chord([extract_embeddings_task.s(chunk, version.pk) for chunk in chunks])(build_index_task.si(version.pk))
        logger.info("queued %d embedding chunks for %s", len(chunks), version)
