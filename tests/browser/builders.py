"""Builders of browser test data written straight to the database (no image files): images with
chosen metadata and vectors, and an index over them."""
from __future__ import annotations

import itertools

import numpy as np

_numbers = itertools.count(1)


TEST_DIM = 32


def baseline_version():
    """An active 'baseline' version of TEST_DIM dims: cheap vectors for searches by image_id or vector
    (an upload would be embedded with 864 dims and refused; use the real version for that)."""
    from embeddings.models import EncoderVersion

    return EncoderVersion.objects.get_or_create(name="baseline", version=f"test-{TEST_DIM}",
                                                defaults={"dim": TEST_DIM, "is_active": True})[0]


def make_study(*, dataset: str = "tests", sex: str = "", age: int | None = None, pseudonym: str = "",
               description: str = ""):
    from ingest.models import Dataset, Study

    number = next(_numbers)
    return Study.objects.create(dataset=Dataset.objects.get_or_create(name=dataset)[0],
                                study_uid=f"2.25.{number}", sex=sex, age_years=age,
                                patient_pseudonym=pseudonym, description=description)


def make_image(*, study=None, label: str = "", modality: str = "CT", body_part: str = "", notes: str = "",
               labels: list | None = None, series_description: str = "", **study_fields):
    from ingest.models import Image, Series

    study = study or make_study(**study_fields)
    number = next(_numbers)
    series = Series.objects.filter(study=study, modality=modality).first() or Series.objects.create(
        study=study, series_uid=f"2.25.9{number}", modality=modality, body_part=body_part,
        description=series_description)
    return Image.objects.create(series=series, sop_uid=f"2.25.8{number}", content_hash=f"hash-{number}",
                                source_format="png", pixels_path=f"x/{number}.png",
                                thumbnail_path=f"x/{number}.thumb.png", width=8, height=8, modality=modality,
                                body_part=body_part, label=label, labels=labels or ([label] if label else []),
                                notes=notes)


def store_vectors(images, vectors: np.ndarray, version=None):
    from embeddings.models import Embedding
    from embeddings.services import vector_bytes

    version = version or baseline_version()
    Embedding.objects.bulk_create([Embedding(image=image, encoder_version=version, vector=vector_bytes(vector))
                                   for image, vector in zip(images, vectors)])
    return version


def random_vectors(count: int, *, dim: int | None = None, seed: int = 0) -> np.ndarray:
    dim = dim or baseline_version().dim
    return np.random.default_rng(seed).normal(size=(count, dim)).astype(np.float32)


def indexed_images(specs: list[dict], *, seed: int = 0) -> list:
    """Images made from `specs` (make_image keyword dicts), given random vectors and indexed."""
    from browser.services import rebuild_index

    images = [make_image(**spec) for spec in specs]
    version = store_vectors(images, random_vectors(len(images), seed=seed))
    rebuild_index(version)
    return images


def bulk_images(labels: list[str], *, modality: str = "CT") -> list:
    """Many images in one study and series, written with bulk_create (no signals: no keyword text)."""
    from ingest.models import Image, Series

    study = make_study()
    number = next(_numbers)
    series = Series.objects.create(study=study, series_uid=f"2.25.7{number}", modality=modality)
    rows = [Image(series=series, sop_uid=f"2.25.6{number}.{n}", content_hash=f"bulk-{number}-{n}",
                  source_format="png", pixels_path=f"b/{number}-{n}.png", thumbnail_path=f"b/{number}-{n}.t.png",
                  width=8, height=8, modality=modality, label=label, labels=[label])
            for n, label in enumerate(labels)]
    Image.objects.bulk_create(rows)
    return list(Image.objects.filter(series=series).order_by("pk"))
