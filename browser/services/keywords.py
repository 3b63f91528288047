"""Keep the keyword index (browser.keywords) in step with images, studies, reports and codes."""
from __future__ import annotations

import logging

from browser import keywords
from browser.selectors import image_ids_of_studies, image_search_texts, study_ids_of_patient
from ingest.selectors import searchable_images

logger = logging.getLogger(__name__)
REBUILD_CHUNK = 1000


def refresh_image_texts(image_ids: list[int]) -> None:
    """Re-derive the text of these images; ids of deleted images are dropped from the index."""
    if not image_ids:
        return
    texts = image_search_texts(list(image_ids))
    gone = [image_id for image_id in image_ids if image_id not in texts]
    keywords.remove_texts(gone)
    keywords.replace_texts(texts)


def refresh_study_texts(study_ids: list[int]) -> None:
    refresh_image_texts(image_ids_of_studies([pk for pk in study_ids if pk]))


def refresh_patient_texts(pseudonym: str) -> None:
    refresh_study_texts(study_ids_of_patient(pseudonym))


def remove_image_texts(image_ids: list[int]) -> None:
    keywords.remove_texts(list(image_ids))


def rebuild_search_text() -> int:
    """Rewrite the whole keyword index; returns how many images it holds."""
    keywords.clear_texts()
    ids = list(searchable_images().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), REBUILD_CHUNK):
        keywords.replace_texts(image_search_texts(ids[start:start + REBUILD_CHUNK]))
    logger.info("keyword index rebuilt over %d images", len(ids))
    return len(ids)
