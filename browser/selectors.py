"""Read-only views of the browser's state: image lists, encoders and their indexes."""
from __future__ import annotations

from django.conf import settings

from browser.models import IndexVersion
from embeddings.encoders.registry import known_encoders
from embeddings.models import EncoderVersion
from ingest.models import Image
from ingest.selectors import filter_images, searchable_images


def list_images(*, filters, limit: int, offset: int) -> tuple[int, list[Image]]:
    images = filter_images(searchable_images(), **filters.active()).select_related("series__study__dataset")
    return images.count(), list(images.order_by("pk")[offset:offset + limit])


def index_summary(version: EncoderVersion) -> dict | None:
    index = IndexVersion.objects.filter(encoder_version=version, status=IndexVersion.Status.READY).order_by("-id").first()
    if index is None:
        return None
    return {"id": index.pk, "method": index.method, "vector_count": index.vector_count,
            "target_recall": index.target_recall, "measured_recall": index.measured_recall,
            "created_at": index.created_at}


def list_encoder_status() -> list[dict]:
    active = {version.name: version for version in EncoderVersion.objects.filter(is_active=True)}
    rows = []
    for name in known_encoders():
        version = active.get(name)
        rows.append({"name": name, "is_default": name == settings.DEFAULT_ENCODER,
                     "version": version.version if version else None, "dim": version.dim if version else None,
                     "index": index_summary(version) if version else None})
    return rows


def health_summary() -> dict:
    return {"status": "ok", "images": searchable_images().count(),
            "quarantined": Image.objects.filter(status=Image.Status.QUARANTINED).count(),
            "default_encoder": settings.DEFAULT_ENCODER}
