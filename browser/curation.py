"""Curators' review: rejected inputs and quarantined images (release or delete)."""
from __future__ import annotations

from django.db import transaction

from cbir.errors import CbirError, NotFound
from cbir.paging import page_of
from ingest.models import Image, Rejection
from ingest.storage import remove_files


def list_rejections(*, limit: int = 200, offset: int = 0) -> tuple[int, list[Rejection]]:
    """(count, a page), newest first."""
    return page_of(Rejection.objects.order_by("-created_at", "-id"), limit=limit, offset=offset)


def list_quarantined(*, limit: int = 200, offset: int = 0) -> tuple[int, list[Image]]:
    """(count, a page), oldest first: the review queue."""
    held = Image.objects.filter(status=Image.Status.QUARANTINED).order_by("id").select_related("series__study__dataset")
    return page_of(held, limit=limit, offset=offset)


def get_quarantined(image_id: int) -> Image:
    image = Image.objects.filter(pk=image_id, status=Image.Status.QUARANTINED).first()
    if image is None:
        raise NotFound(f"no quarantined image {image_id}")
    return image


def release_from_quarantine(*, image: Image, reviewer_note: str) -> Image:
    """A curator checked the pixels (no burned-in identity): make it searchable."""
    if not reviewer_note.strip():
        raise CbirError("say what was checked before releasing an image (reviewer_note)")
    from ingest.services import embed_after_commit

    from embeddings.services import renew_vectors

    with transaction.atomic():
        image.status = Image.Status.READY
        image.status_reason = f"released after review: {reviewer_note.strip()}"
        image.save(update_fields=["status", "status_reason"])
        renew_vectors([image.pk])  # vectors from before the quarantine: into the delta of current indexes
        embed_after_commit([image.pk])  # robust: the release stands even if embedding fails (caught up later)
    return image


def delete_quarantined(*, image: Image) -> None:
    paths = [image.pixels_path, image.thumbnail_path, image.dicom_path]
    with transaction.atomic():
        image.delete()
        transaction.on_commit(lambda: remove_files(*paths))
