"""Images to the uint8 squares networks take: resizing and the optional foreground crop.
Torch-free, so web processes (heatmaps) and training share it."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image as PILImage


def resize_square(images: Sequence[np.ndarray], size: int) -> np.ndarray:
    """uint8 (H, W) images of any size -> uint8 (n, size, size), bilinear."""
    out = np.zeros((len(images), size, size), np.uint8)
    for row, image in enumerate(images):
        if image.ndim != 2:
            raise ValueError(f"expected a 2D grayscale image, got shape {image.shape}")
        pil = PILImage.fromarray(np.ascontiguousarray(image, dtype=np.uint8))
        out[row] = np.asarray(pil.resize((size, size), PILImage.BILINEAR))
    return out


def crop_to_foreground(image: np.ndarray, *, level: float = 0.1, min_share: float = 0.02,
                       margin: float = 0.03) -> np.ndarray:
    """uint8 (H, W) -> the smallest square around the bright content (the head, the chest), so the
    network's few pixels land on anatomy rather than on the scanner's black surround.

    A pixel is foreground above `level` x the image's 99th percentile; a row (column) counts when
    more than `min_share` of it is foreground, which ignores isolated specks and text marks. The
    box grows by `margin` of the side and then to a square (aspect kept: no stretching); parts
    beyond the image are filled with black. A blank image is returned unchanged.
    """
    if image.ndim != 2:
        raise ValueError(f"expected a 2D grayscale image, got shape {image.shape}")
    foreground = image > level * float(np.percentile(image, 99))
    rows = np.flatnonzero(foreground.mean(axis=1) > min_share)
    cols = np.flatnonzero(foreground.mean(axis=0) > min_share)
    if not len(rows) or not len(cols):
        return image
    side = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    side = int(round(side * (1 + 2 * margin)))
    top = (rows[0] + rows[-1] + 1 - side) // 2
    left = (cols[0] + cols[-1] + 1 - side) // 2
    square = np.zeros((side, side), np.uint8)
    source = image[max(top, 0):top + side, max(left, 0):left + side]
    square[max(-top, 0):max(-top, 0) + source.shape[0], max(-left, 0):max(-left, 0) + source.shape[1]] = source
    return square


def prepare_square(images: Sequence[np.ndarray], size: int, *, crop_foreground: bool = False) -> np.ndarray:
    """resize_square, after crop_to_foreground on each image when asked."""
    if crop_foreground:
        images = [crop_to_foreground(image) for image in images]
    return resize_square(images, size)
