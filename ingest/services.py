"""Store parsed images in the repository: one transaction per image, no half-writes."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction

from ingest.errors import IngestError
from ingest.models import Dataset, Image, Series, Study
from ingest.parsers import parse_image_bytes
from ingest.parsers.labels import label_fields
from ingest.pseudonyms import pseudonymize, remap_uid
from ingest.records import ImageRecord
from ingest.storage import remove_files, store_image_files

logger = logging.getLogger(__name__)


@dataclass
class IngestOutcome:
    image: Image
    created: bool


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def get_or_create_dataset(name: str) -> Dataset:
    dataset, _ = Dataset.objects.get_or_create(name=name)
    return dataset


def ingest_image_bytes(*, data: bytes, dataset: Dataset, original_name: str = "",
                       labels_row: dict | None = None) -> IngestOutcome:
    """Parse, store and register one image file; a re-sent file is a no-op."""
    digest = content_hash(data)
    existing = Image.objects.filter(content_hash=digest).first()
    if existing:
        return IngestOutcome(existing, created=False)
    record = parse_image_bytes(data)
    patient_id = apply_labels(record, labels_row) if labels_row else ""
    fill_missing_uids(record, dataset=dataset, digest=digest, patient_id=patient_id)
    return store_record(record, dataset=dataset, digest=digest, original_name=original_name)


def apply_labels(record: ImageRecord, row: dict) -> str:
    """Copy labels-CSV fields onto the record; returns the row's raw patient id."""
    for field_name, value in label_fields(row).items():
        if value not in ("", None, [], {}):
            setattr(record, field_name, value)
    patient_id = (row.get("patient_id") or "").strip()
    if patient_id:
        record.patient_pseudonym = pseudonymize("pt", f"{patient_id}")
    return patient_id


def fill_missing_uids(record: ImageRecord, *, dataset: Dataset, digest: str, patient_id: str) -> None:
    """Files without DICOM UIDs get stable ones: one study and series per patient and dataset."""
    grouping = f"{dataset.name}/{patient_id}" if patient_id else f"{dataset.name}/{digest}"
    record.study_uid = record.study_uid or remap_uid(f"study:{grouping}")
    record.series_uid = record.series_uid or remap_uid(f"series:{grouping}:{record.modality}")
    record.sop_uid = record.sop_uid or remap_uid(f"sop:{digest}")


def store_record(record: ImageRecord, *, dataset: Dataset, digest: str, original_name: str) -> IngestOutcome:
    pixels_path, thumbnail_path = store_image_files(record.pixels, digest)
    try:
        with transaction.atomic():
            series = upsert_series(record, dataset)
            image = create_image(record, series=series, digest=digest, pixels_path=pixels_path,
                                 thumbnail_path=thumbnail_path, original_name=original_name)
    except IntegrityError:
        # Lost a race with a concurrent ingest of the same file or SOP instance: theirs wins.
        winner = Image.objects.filter(content_hash=digest).first() or Image.objects.filter(sop_uid=record.sop_uid).first()
        if winner is None:
            remove_files(pixels_path, thumbnail_path)
            raise
        return IngestOutcome(winner, created=False)
    except BaseException:
        remove_files(pixels_path, thumbnail_path)
        raise
    logger.info("stored image %s in dataset %s", image.pk, dataset.pk)
    return IngestOutcome(image, created=True)


def upsert_series(record: ImageRecord, dataset: Dataset) -> Series:
    study, _ = Study.objects.get_or_create(
        study_uid=record.study_uid,
        defaults={"dataset": dataset, "accession_number": record.accession_number,
                  "patient_pseudonym": record.patient_pseudonym, "study_date": record.study_date,
                  "description": record.study_description, "sex": record.sex, "age_years": record.age_years},
    )
    series, _ = Series.objects.get_or_create(
        series_uid=record.series_uid,
        defaults={"study": study, "modality": record.modality, "body_part": record.body_part,
                  "description": record.series_description, "number": record.series_number},
    )
    return series


def create_image(record: ImageRecord, *, series: Series, digest: str, pixels_path: str,
                 thumbnail_path: str, original_name: str) -> Image:
    if Image.objects.filter(sop_uid=record.sop_uid).exists():
        raise IngestError(f"SOP instance already stored under another content hash: {record.sop_uid}")
    height, width = record.pixels.shape[:2]
    return Image.objects.create(
        series=series, sop_uid=record.sop_uid, content_hash=digest, source_format=record.source_format,
        original_name=original_name[:255], pixels_path=pixels_path, thumbnail_path=thumbnail_path,
        width=width, height=height, frame_count=record.frame_count, instance_number=record.instance_number,
        modality=record.modality, body_part=record.body_part, label=record.label, labels=record.labels,
        notes=record.notes, metadata=record.metadata,
    )


def ingest_image_file(*, path: Path, dataset: Dataset, labels_row: dict | None = None) -> IngestOutcome:
    return ingest_image_bytes(data=Path(path).read_bytes(), dataset=dataset, original_name=Path(path).name,
                              labels_row=labels_row)
