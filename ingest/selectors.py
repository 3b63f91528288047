"""Read-only queries over the repository."""
from __future__ import annotations

from django.db.models import QuerySet

from cbir.errors import NotFound
from ingest.models import Image


def get_image(image_id: int, *, include_quarantined: bool = False) -> Image:
    """A READY image, or a quarantined one too when asked (curators reviewing it); 404 otherwise.

    Quarantined pixels may show burned-in identity, so by default they look like no image at all:
    the 404 does not even say that the id exists.
    """
    images = Image.objects.select_related("series__study__dataset").filter(pk=image_id)
    if not include_quarantined:
        images = images.filter(status=Image.Status.READY)
    image = images.first()
    if image is None:
        raise NotFound(f"no image with id {image_id}")
    return image


def searchable_images() -> QuerySet[Image]:
    return Image.objects.filter(status=Image.Status.READY)


def filter_images(queryset: QuerySet[Image], *, label: str = "", modality: str = "", body_part: str = "",
                  dataset: str = "") -> QuerySet[Image]:
    if label:
        queryset = queryset.filter(label__iexact=label)
    if modality:
        queryset = queryset.filter(modality__iexact=modality)
    if body_part:
        queryset = queryset.filter(body_part__iexact=body_part)
    if dataset:
        queryset = queryset.filter(series__study__dataset__name=dataset)
    return queryset
