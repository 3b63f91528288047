"""Store images in the repository (every receiver lands here): de-identify, one transaction
per image, no half-writes; record refusals; hand new images to embedding after commit.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction

from cbir.errors import CbirError
from ingest.anonymizer import AnonymizationPolicy
from ingest.dicom_policy import (CANNOT_UNDERSTAND, DATASET_DOES_NOT_MATCH_SOP_CLASS, IMAGE_STORAGE_CLASSES,
                                 OUT_OF_RESOURCES, PROCESSING_FAILURE, SOP_CLASS_NOT_SUPPORTED, STUDY_UID_MISMATCH,
                                 SUCCESS, failure_status, peek_uids)
from ingest.models import Dataset, Image, Rejection, Series, Study
from ingest.parsers import parse_image_bytes
from ingest.parsers.dicom import deidentify_and_decode, read_dataset
from ingest.parsers.images import sniff_format
from ingest.parsers.labels import label_fields
from ingest.pseudonyms import pseudonymize, remap_uid
from ingest.records import ImageRecord
from ingest.reports import link_reports_to_study
from ingest.storage import remove_files, store_dicom_file, store_image_files

logger = logging.getLogger(__name__)


@dataclass
class IngestOutcome:
    image: Image
    created: bool


@dataclass
class PreparedImage:
    """A parsed, de-identified image waiting to be stored."""

    record: ImageRecord
    dicom_bytes: bytes = b""  # the de-identified DICOM object, if the input was DICOM
    quarantine_reason: str = ""


def anonymization_policy() -> AnonymizationPolicy:
    return AnonymizationPolicy(clean_descriptors=getattr(settings, "DICOM_CLEAN_DESCRIPTORS", True))


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def get_or_create_dataset(name: str) -> Dataset:
    dataset, _ = Dataset.objects.get_or_create(name=name)
    return dataset


def ingest_image_bytes(*, data: bytes, dataset: Dataset, labels_row: dict | None = None) -> IngestOutcome:
    """Parse, de-identify, store and register one image file; a re-sent file or SOP instance is a no-op."""
    digest = content_hash(data)
    existing = Image.objects.filter(content_hash=digest).first()
    if existing:
        return IngestOutcome(existing, created=False)
    if sniff_format(data) == "dicom":
        prepared = prepare_dicom(data)
        if isinstance(prepared, Image):
            return IngestOutcome(prepared, created=False)
    else:
        prepared = PreparedImage(parse_image_bytes(data))
    patient_id = apply_labels(prepared.record, labels_row) if labels_row else ""
    fill_missing_uids(prepared.record, dataset=dataset, digest=digest, patient_id=patient_id)
    return store_record(prepared, dataset=dataset, digest=digest)


def prepare_dicom(data: bytes) -> PreparedImage | Image:
    """De-identify and decode a DICOM object, or return the stored image of the same SOP instance."""
    dataset = read_dataset(data)
    original_sop_uid = str(dataset.get("SOPInstanceUID", "") or "")
    existing = Image.objects.filter(sop_uid=remap_uid(original_sop_uid)).first() if original_sop_uid else None
    if existing:
        return existing
    parsed = deidentify_and_decode(dataset, anonymization_policy())
    return PreparedImage(parsed.record, parsed.dicom_bytes, parsed.quarantine_reason)


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


def store_record(prepared: PreparedImage, *, dataset: Dataset, digest: str) -> IngestOutcome:
    record = prepared.record
    paths = write_files(prepared, digest)
    try:
        with transaction.atomic():
            series = upsert_series(record, dataset)
            image = create_image(record, series=series, digest=digest, paths=paths,
                                 quarantine_reason=prepared.quarantine_reason)
    except IntegrityError:
        # Lost a race with a concurrent ingest of the same file or SOP instance: theirs wins.
        same_file = Image.objects.filter(content_hash=digest).first()
        if same_file:  # same content, same file names: the files are theirs now
            return IngestOutcome(same_file, created=False)
        remove_files(*paths.values())
        same_instance = Image.objects.filter(sop_uid=record.sop_uid).first()
        if same_instance is None:
            raise
        return IngestOutcome(same_instance, created=False)
    except BaseException:
        remove_files_nobody_owns(digest, paths)
        raise
    # Reports that arrived before this image (HL7/FHIR) link once it is committed. Outside the block
    # above: the image is stored whatever happens here, and a failed link is retried by the next image
    # of the study or report of the patient (link_reports_to_study is idempotent).
    transaction.on_commit(lambda: link_reports_to_study(series.study), robust=True)
    logger.info("stored image %s (%s) in dataset %s", image.pk, image.status, dataset.pk)
    return IngestOutcome(image, created=True)


def remove_files_nobody_owns(digest: str, paths: dict[str, str]) -> None:
    """After a failed insert: the content-addressed files go unless a committed image (a concurrent ingest of
    the same bytes) uses them; when the database cannot tell, they stay (an orphan file loses nothing)."""
    try:
        owned = Image.objects.filter(content_hash=digest).exists()
    except DatabaseError:
        return
    if not owned:
        remove_files(*paths.values())


def write_files(prepared: PreparedImage, digest: str) -> dict[str, str]:
    """The PNG, its thumbnail and the de-identified DICOM object; none of them if one fails."""
    paths = dict(zip(("pixels_path", "thumbnail_path"), store_image_files(prepared.record.pixels, digest)))
    if prepared.dicom_bytes:
        try:
            paths["dicom_path"] = store_dicom_file(prepared.dicom_bytes, digest)
        except BaseException:
            remove_files(*paths.values())
            raise
    return paths


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


def create_image(record: ImageRecord, *, series: Series, digest: str, paths: dict[str, str],
                 quarantine_reason: str = "") -> Image:
    """A new Image row; a SOP instance stored meanwhile under another hash raises IntegrityError.

    The file's name is not kept: archives name files after patients (SMITH_JANE_MRN….dcm).
    """
    height, width = record.pixels.shape[:2]
    status = Image.Status.QUARANTINED if quarantine_reason else Image.Status.READY
    return Image.objects.create(
        series=series, sop_uid=record.sop_uid, content_hash=digest, source_format=record.source_format,
        width=width, height=height, frame_count=record.frame_count,
        instance_number=record.instance_number, modality=record.modality, body_part=record.body_part,
        label=record.label, labels=record.labels, notes=record.notes, metadata=record.metadata,
        status=status, status_reason=quarantine_reason, **paths,
    )


def ingest_image_file(*, path: Path, dataset: Dataset, labels_row: dict | None = None) -> IngestOutcome:
    return ingest_image_bytes(data=Path(path).read_bytes(), dataset=dataset, labels_row=labels_row)


def record_rejection(*, channel: str, reason: str, detail: dict | None = None) -> Rejection:
    """Log one refusal for the curators; `reason` and `detail` must hold no identifying content."""
    rejection = Rejection.objects.create(channel=channel, reason=reason[:2000], detail=detail or {})
    logger.info("rejection %s on %s", rejection.pk, channel)
    return rejection


@dataclass
class ReceivedInstance:
    """What a DICOM receiver answers for one instance; UIDs are the de-identified ones."""

    status: int
    sop_class_uid: str = ""
    sop_instance_uid: str = ""
    image: Image | None = None
    created: bool = False
    comment: str = ""


def receive_dicom_instance(*, data: bytes, dataset: Dataset, channel: str, sop_class_uid: str = "",
                           study_uid: str = "", detail: dict | None = None) -> ReceivedInstance:
    """Check, de-identify and store one instance from a DICOM receiver; refusals are recorded.

    `study_uid`: the (original) study the sender addressed, as in STOW-RS to /studies/{uid}.
    """
    peeked_class, original_instance_uid, original_study_uid = peek_uids(data, "SOPClassUID", "SOPInstanceUID",
                                                                        "StudyInstanceUID")
    received = ReceivedInstance(SUCCESS, sop_class_uid or peeked_class, remap_uid(original_instance_uid))
    if not is_dicom(data) or not received.sop_class_uid:  # a PNG in an application/dicom part is not an instance
        return refuse_instance(received, CANNOT_UNDERSTAND, "not a DICOM instance with a SOP Class UID",
                               channel=channel, detail=detail)
    if study_uid and original_study_uid != study_uid:
        return refuse_instance(received, STUDY_UID_MISMATCH, "instance of another study than the one addressed",
                               channel=channel, detail=detail)
    if sop_class_uid and peeked_class and sop_class_uid != peeked_class:
        return refuse_instance(received, DATASET_DOES_NOT_MATCH_SOP_CLASS, "data set does not match the SOP class",
                               channel=channel, detail=detail)
    if received.sop_class_uid and received.sop_class_uid not in IMAGE_STORAGE_CLASSES:  # unreadable: fail below
        return refuse_instance(received, SOP_CLASS_NOT_SUPPORTED, "SOP class is not an image class we archive",
                               channel=channel, detail=detail)
    try:
        outcome = ingest_image_bytes(data=data, dataset=dataset)
    except (CbirError, OSError) as exc:
        comment = exc.message if isinstance(exc, CbirError) else "cannot write the image to storage"
        return refuse_instance(received, failure_status(exc), comment, channel=channel, detail=detail)
    except DatabaseError as exc:  # this part failed, not the parts before it: they stay stored and reported
        logger.error("storing a %s instance failed: %s", channel, type(exc).__name__)
        received.status, received.comment = OUT_OF_RESOURCES, "database unavailable; retry later"
        return received  # no Rejection row: the database is what failed
    received.image, received.created, received.sop_instance_uid = outcome.image, outcome.created, outcome.image.sop_uid
    return received


def refuse_instance(received: ReceivedInstance, status: int, comment: str, *, channel: str,
                    detail: dict | None) -> ReceivedInstance:
    record_rejection(channel=channel, reason=comment,
                     detail={"status": f"0x{status:04X}", "sop_class": received.sop_class_uid} | (detail or {}))
    received.status, received.comment = status, comment
    return received


def is_dicom(data: bytes) -> bool:
    try:
        return sniff_format(data) == "dicom"
    except CbirError:
        return False


def store_stow_parts(*, parts: Sequence, dataset: Dataset, study_uid: str = "") -> list[ReceivedInstance]:
    """Store each STOW-RS body part (ingest.dicomweb.BodyPart); new READY images are embedded after commit.

    `study_uid`: set for POST /studies/{uid}; instances of other studies fail (0xC409). An unexpected
    failure fails its part (0x0110), never the parts already stored, whose outcomes the sender must get."""
    results = []
    for part in parts:
        try:
            results.append(store_stow_part(part, dataset=dataset, study_uid=study_uid))
        except Exception as exc:  # e.g. the rejection record itself could not be written
            logger.error("a STOW-RS part failed: %s", type(exc).__name__)
            results.append(ReceivedInstance(PROCESSING_FAILURE, comment="internal error while storing; retry later"))
    embed_after_commit([result.image.pk for result in results if result.created])
    return results


def store_stow_part(part, *, dataset: Dataset, study_uid: str) -> ReceivedInstance:
    if part.content_type != "application/dicom":
        return refuse_instance(ReceivedInstance(CANNOT_UNDERSTAND), CANNOT_UNDERSTAND,
                               "body part is not application/dicom", channel="stow-rs", detail={})
    return receive_dicom_instance(data=part.content, dataset=dataset, channel="stow-rs", study_uid=study_uid)


def embed_after_commit(image_ids: Sequence[int]) -> None:
    """Embed and index these images once the current transaction commits (at once outside one).

    Robust: the images are stored and their senders told so; a failure to embed is logged and must not turn
    that into an error. `embed_missing_images` (run by the receivers at start) catches such images up.
    """
    ids = list(image_ids)
    if ids:
        transaction.on_commit(lambda: embed_and_index_ready_images(ids), robust=True)


def embed_missing_images() -> None:
    """Embed and index every READY image an active encoder version has no vector for (crash recovery: the
    receivers run it when they start, the beat task embeddings.tasks.catch_up_embeddings_task periodically)."""
    from embeddings.services import embed_and_index_new_images

    try:
        embed_and_index_new_images()
    except Exception as exc:  # the receiver must start even when no encoder can embed yet
        logger.error("catching up embeddings failed: %s", type(exc).__name__)


def embed_and_index_ready_images(image_ids: Sequence[int]) -> list[int]:
    """Hand the READY ones of these images to embedding and indexing; quarantined ones never go."""
    from embeddings.services import embed_and_index_new_images

    ready = list(Image.objects.filter(pk__in=list(image_ids), status=Image.Status.READY)
                 .order_by("pk").values_list("pk", flat=True))
    if ready:
        embed_and_index_new_images(image_ids=ready)
        logger.info("embedded and indexed %d new images (ids %s..%s)", len(ready), ready[0], ready[-1])
    return ready
