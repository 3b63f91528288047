"""Plain-dict payloads of images, shared by search results and image details."""
from __future__ import annotations

from browser.findings import is_abnormal
from ingest.models import Image


def image_urls(image: Image) -> dict:
    return {"thumbnail_url": f"/api/images/{image.pk}/thumbnail/", "image_url": f"/api/images/{image.pk}/image/"}


def result_payload(image: Image, *, rank: int, distance: float | None, score: float | None, community: int) -> dict:
    """One result; `distance` is None for a keyword-only match (no query vector), `score` None without a scale."""
    return {
        "id": image.pk, "rank": rank, "distance": None if distance is None else round(distance, 6),
        "score": None if score is None else round(score, 6),
        **image_urls(image),
        "label": image.label, "labels": image.labels, "modality": image.modality, "body_part": image.body_part,
        "dataset": image.series.study.dataset.name, "is_abnormal": is_abnormal(image.label),
        "community": community, "metadata": image.metadata,
    }


def image_detail_payload(image: Image) -> dict:
    series, study = image.series, image.series.study
    return {
        "id": image.pk, **image_urls(image), "status": image.status, "status_reason": image.status_reason,
        "label": image.label, "labels": image.labels, "is_abnormal": is_abnormal(image.label),
        "modality": image.modality, "body_part": image.body_part, "sex": study.sex, "age_years": study.age_years,
        "dataset": study.dataset.name, "width": image.width, "height": image.height,
        "frame_count": image.frame_count, "source_format": image.source_format,
        "study": {"id": study.pk, "study_uid": study.study_uid, "patient": study.patient_pseudonym,
                  "accession_number": study.accession_number, "study_date": study.study_date,
                  "description": study.description},
        "series": {"id": series.pk, "series_uid": series.series_uid, "modality": series.modality,
                   "body_part": series.body_part, "description": series.description, "number": series.number},
        "sop_uid": image.sop_uid, "notes": image.notes, "metadata": image.metadata,
    }


def image_summary_payload(image: Image) -> dict:
    return {"id": image.pk, **image_urls(image), "label": image.label, "modality": image.modality,
            "body_part": image.body_part, "dataset": image.series.study.dataset.name}
