"""Classical lung-field and brain masks (embeddings.masks)."""
from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from embeddings.masks import derive_brain_mask, derive_lung_mask, derive_masks, otsu_threshold


def synthetic_chest(size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Dark air, a bright body ellipse and two dark lung ellipses; returns (image, true lungs)."""
    rows, cols = np.mgrid[:size, :size] / size
    body = ((rows - 0.5) / 0.4) ** 2 + ((cols - 0.5) / 0.45) ** 2 < 1
    lungs = (((rows - 0.5) / 0.25) ** 2 + ((cols - 0.3) / 0.12) ** 2 < 1) | \
            (((rows - 0.5) / 0.25) ** 2 + ((cols - 0.7) / 0.12) ** 2 < 1)
    image = np.where(body & ~lungs, 200, 20).astype(np.uint8)
    return image, lungs


def test_derive_lung_mask_finds_the_two_lungs_of_a_synthetic_chest():
    image, lungs = synthetic_chest()

    mask = derive_lung_mask(image).astype(bool)

    intersection_over_union = (mask & lungs).sum() / (mask | lungs).sum()
    assert intersection_over_union > 0.85


def test_derive_lung_mask_excludes_air_outside_the_body():
    image, _ = synthetic_chest()

    mask = derive_lung_mask(image)

    assert mask[0, 0] == 0 and mask[-1, -1] == 0


def test_derive_brain_mask_covers_the_bright_head_only():
    rows, cols = np.mgrid[:96, :96] / 96
    head = ((rows - 0.5) / 0.35) ** 2 + ((cols - 0.5) / 0.3) ** 2 < 1
    image = np.where(head, 150, 5).astype(np.uint8)

    mask = derive_brain_mask(image).astype(bool)

    assert (mask & head).sum() / (mask | head).sum() > 0.9


def test_otsu_threshold_falls_between_two_intensity_modes():
    pixels = np.concatenate([np.full(500, 30.0), np.full(500, 220.0)])

    assert 30 < otsu_threshold(pixels) < 220


def test_derive_masks_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="unknown mask method"):
        derive_masks([np.zeros((8, 8), np.uint8)], method="liver")


def test_lung_masks_of_real_covid_ct_slices_are_plausible(datasets_dir):
    folder = datasets_dir / "covid_ct"
    with open(folder / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    images = [np.asarray(Image.open(folder / row["file"]).convert("L")) for row in rows[::90]]  # 7 slices, both classes

    masks = derive_masks(images, method="lung")

    for image, mask in zip(images, masks):
        assert mask.shape == image.shape and set(np.unique(mask)) <= {0, 1}
        assert 0.03 < mask.mean() < 0.7  # non-empty, far from the whole slice
