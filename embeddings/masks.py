"""Classical segmentation masks for datasets that ship none (lung fields on chest CT, brain on MRI).

CE-Net and the U-Nets need image/mask pairs; covid_ct and brain_tumor_mri have no masks, so
these pseudo-labels stand in for expert segmentations. They are heuristics (Otsu threshold +
morphology + largest connected components), not ground truth: Dice against them measures
agreement with the heuristic only. NumPy/SciPy only, no torch.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import ndimage

MASK_METHODS = ("lung", "brain")
_MIN_LUNG_FRACTION = 0.01  # a lung component smaller than 1 % of the slice is gas or noise


def derive_masks(images: Sequence[np.ndarray], *, method: str = "lung") -> list[np.ndarray]:
    """uint8 (H, W) images -> uint8 {0, 1} masks of the same sizes, by `method` (lung or brain)."""
    if method not in MASK_METHODS:
        raise ValueError(f"unknown mask method {method!r}; known: {', '.join(MASK_METHODS)}")
    derive = derive_lung_mask if method == "lung" else derive_brain_mask
    return [derive(image) for image in images]


def derive_lung_mask(image: np.ndarray) -> np.ndarray:
    """Lung fields of an axial chest CT slice: dark regions enclosed by the dense body wall.

    Otsu splits dense tissue from air; the body is the largest dense component with its holes
    filled; lungs are the (at most two) largest air components inside it, closed and hole-filled
    so that vessels and consolidations inside the lung stay in the field.
    """
    pixels = ndimage.gaussian_filter(image.astype(np.float32), 1.0)
    is_dense = pixels > otsu_threshold(pixels)
    body = ndimage.binary_fill_holes(largest_components(ndimage.binary_closing(is_dense, iterations=2), 1))
    air_inside = ndimage.binary_opening(body & ~is_dense, iterations=2)
    min_size = int(_MIN_LUNG_FRACTION * image.size)
    lungs = largest_components(air_inside, 2, min_size=min_size)
    lungs = ndimage.binary_fill_holes(ndimage.binary_closing(lungs, iterations=3))
    return lungs.astype(np.uint8)


def derive_brain_mask(image: np.ndarray) -> np.ndarray:
    """Head of a brain MRI slice: largest above-Otsu component, opened and hole-filled."""
    pixels = ndimage.gaussian_filter(image.astype(np.float32), 1.0)
    foreground = ndimage.binary_opening(pixels > otsu_threshold(pixels), iterations=2)
    head = largest_components(foreground, 1)
    return ndimage.binary_fill_holes(ndimage.binary_closing(head, iterations=3)).astype(np.uint8)


def otsu_threshold(pixels: np.ndarray, bins: int = 256) -> float:
    """The threshold that maximises the between-class variance of the intensity histogram."""
    histogram, edges = np.histogram(pixels, bins=bins)
    centers = (edges[:-1] + edges[1:]) / 2
    weight_low = np.cumsum(histogram)
    weight_high = weight_low[-1] - weight_low
    sum_low = np.cumsum(histogram * centers)
    mean_low = sum_low / np.maximum(weight_low, 1)
    mean_high = (sum_low[-1] - sum_low) / np.maximum(weight_high, 1)
    between = weight_low * weight_high * (mean_low - mean_high) ** 2
    return float(centers[int(np.argmax(between))])


def largest_components(binary: np.ndarray, count: int, *, min_size: int = 1) -> np.ndarray:
    """The `count` largest 8-connected components of size >= min_size (all False if none)."""
    labels, found = ndimage.label(binary, structure=np.ones((3, 3), bool))
    if found == 0:
        return np.zeros(binary.shape, bool)
    sizes = np.bincount(labels.ravel())[1:]  # sizes[i] is the size of component i + 1
    ranked = np.argsort(sizes)[::-1][:count]
    keep = [index + 1 for index in ranked if sizes[index] >= min_size]
    return np.isin(labels, keep)
