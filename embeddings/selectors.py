"""Read-only queries over stored embeddings."""
from __future__ import annotations

import numpy as np

from embeddings.models import Embedding, EncoderVersion


def load_vectors(version: EncoderVersion) -> tuple[np.ndarray, np.ndarray]:
    """(image ids int64 (n,), vectors float32 (n, dim)) of all searchable images."""
    rows = (Embedding.objects.filter(encoder_version=version, image__status="ready")
            .order_by("image_id").values_list("image_id", "vector"))
    ids, blobs = [], []
    for image_id, blob in rows.iterator(chunk_size=2000):
        ids.append(image_id)
        blobs.append(bytes(blob))
    if not ids:
        return np.zeros(0, np.int64), np.zeros((0, version.dim), np.float32)
    vectors = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(ids), version.dim)
    return np.asarray(ids, np.int64), np.ascontiguousarray(vectors, dtype=np.float32)


def load_vectors_for(version: EncoderVersion, image_ids) -> dict[int, np.ndarray]:
    rows = Embedding.objects.filter(encoder_version=version, image_id__in=list(image_ids)).values_list("image_id", "vector")
    return {image_id: np.frombuffer(bytes(blob), dtype="<f4") for image_id, blob in rows}


def list_evaluations(*, limit: int = 50, offset: int = 0) -> tuple[int, list]:
    """(count, a page of evaluation runs), latest first."""
    from embeddings.models import Evaluation

    runs = Evaluation.objects.order_by("-created_at", "-id")
    return runs.count(), list(runs[offset:offset + limit])


def get_default_encoder_name() -> str:
    """settings.DEFAULT_ENCODER when CBIR_DEFAULT_ENCODER is set; else the encoder marked default (by
    train_demo_encoders) while active; else settings.DEFAULT_ENCODER."""
    from django.conf import settings

    if getattr(settings, "DEFAULT_ENCODER_PINNED", False):
        return settings.DEFAULT_ENCODER
    marked = EncoderVersion.objects.filter(is_default=True, is_active=True).values_list("name", flat=True).first()
    return marked or settings.DEFAULT_ENCODER
