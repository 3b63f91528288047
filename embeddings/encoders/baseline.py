"""Training-free baseline: gradient-orientation histograms, a tiny thumbnail and an
intensity histogram. It is the floor every learned encoder must beat."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image as PILImage

from embeddings.encoders.base import Encoder, InputSpec
from embeddings.encoders.registry import register_encoder

_EPS = 1e-6


@register_encoder("baseline")
class BaselineEncoder(Encoder):
    """HOG-style descriptor (8x8 cells x 9 unsigned orientations) ⊕ z-scored 16x16
    thumbnail ⊕ 32-bin intensity histogram; each part L2-normalised, then the whole.

    Vectors are unit length, so Euclidean distance ranks like cosine distance.
    """

    VERSION = "1"

    def __init__(self, *, size: int = 128, cells: int = 8, orientations: int = 9, thumb: int = 16, bins: int = 32):
        self.input_spec = InputSpec(size=size)
        self.cells, self.orientations, self.thumb, self.bins = cells, orientations, thumb, bins
        self.dim = cells * cells * orientations + thumb * thumb + bins
        self.version = self.VERSION

    def config(self) -> dict:
        return {"size": self.input_spec.size, "cells": self.cells, "orientations": self.orientations,
                "thumb": self.thumb, "bins": self.bins}

    def embed(self, images: Sequence[np.ndarray]) -> np.ndarray:
        return np.stack([self._describe(image) for image in images]).astype(np.float32) if images else \
            np.zeros((0, self.dim), np.float32)

    def _describe(self, image: np.ndarray) -> np.ndarray:
        pixels = resize_gray(image, self.input_spec.size)  # (size, size) float32 in [0, 1]
        parts = [
            orientation_histograms(pixels, self.cells, self.orientations),
            thumbnail_vector(pixels, self.thumb),
            intensity_histogram(pixels, self.bins),
        ]
        vector = np.concatenate([unit(part) for part in parts])
        return unit(vector)


def resize_gray(image: np.ndarray, size: int) -> np.ndarray:
    if image.ndim != 2:
        raise ValueError(f"baseline encoder takes 2D grayscale images, got shape {image.shape}")
    resized = PILImage.fromarray(np.ascontiguousarray(image, dtype=np.uint8)).resize((size, size), PILImage.BILINEAR)
    return np.asarray(resized, dtype=np.float32) / 255.0


def orientation_histograms(pixels: np.ndarray, cells: int, orientations: int) -> np.ndarray:
    gy, gx = np.gradient(pixels)
    magnitude = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), np.pi)  # unsigned orientation in [0, pi)
    bin_index = np.minimum((angle / np.pi * orientations).astype(int), orientations - 1)
    cell = pixels.shape[0] // cells
    histograms = np.zeros((cells, cells, orientations), np.float32)
    rows, cols = np.indices(pixels.shape)
    np.add.at(histograms, (np.minimum(rows // cell, cells - 1), np.minimum(cols // cell, cells - 1), bin_index), magnitude)
    # per-cell normalisation, like HOG's block norm, so contrast changes matter less
    histograms /= np.linalg.norm(histograms, axis=2, keepdims=True) + _EPS
    return histograms.ravel()


def thumbnail_vector(pixels: np.ndarray, side: int) -> np.ndarray:
    small = np.asarray(PILImage.fromarray(pixels).resize((side, side), PILImage.BOX), dtype=np.float32)
    return ((small - small.mean()) / (small.std() + _EPS)).ravel()


def intensity_histogram(pixels: np.ndarray, bins: int) -> np.ndarray:
    histogram, _ = np.histogram(pixels, bins=bins, range=(0.0, 1.0))
    return np.sqrt(histogram.astype(np.float32))  # Hellinger-style, tames the background spike


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector) + _EPS)
