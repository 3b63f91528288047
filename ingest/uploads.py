"""Curators' file uploads into the repository, through the same pipeline as every receiver."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from cbir.errors import CbirError
from ingest.errors import UploadTooLarge
from ingest.models import Dataset
from ingest.services import embed_after_commit, ingest_image_bytes, record_rejection


@dataclass
class UploadOutcome:
    name: str
    status: str  # stored, quarantined, present or refused
    image_id: int | None = None
    reason: str = ""


def read_upload(upload) -> bytes:
    """The bytes of an uploaded file; UploadTooLarge (HTTP 400) over settings.MAX_UPLOAD_BYTES."""
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise UploadTooLarge(f"file of {upload.size} bytes is over the limit of {settings.MAX_UPLOAD_BYTES} bytes")
    return upload.read()


def ingest_uploads(*, files: list, dataset: Dataset, labels_row: dict | None = None) -> list[UploadOutcome]:
    """Store each uploaded file on its own (one bad file refuses only itself); embed the new ones."""
    outcomes = [ingest_one_upload(upload, dataset=dataset, labels_row=labels_row) for upload in files]
    embed_after_commit([o.image_id for o in outcomes if o.status == "stored"])
    return outcomes


def ingest_one_upload(upload, *, dataset: Dataset, labels_row: dict | None) -> UploadOutcome:
    try:
        outcome = ingest_image_bytes(data=read_upload(upload), dataset=dataset, labels_row=labels_row)
    except CbirError as exc:
        record_rejection(channel="upload", reason=exc.message)
        return UploadOutcome(upload.name, "refused", reason=exc.message)
    if not outcome.created:
        return UploadOutcome(upload.name, "present", outcome.image.pk)
    return UploadOutcome(upload.name, outcome.image.status if outcome.image.status != "ready" else "stored",
                         outcome.image.pk, outcome.image.status_reason)
