"""Decode PNG, JPEG and DICOM bytes into 8-bit grayscale pixels."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image as PILImage, UnidentifiedImageError

from ingest.errors import ImageTooLarge, UnreadableImage, UnsupportedFormat

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
# Refuse decompression bombs early: more pixels than this is not a medical slice.
MAX_PIXELS = 80_000_000


def sniff_format(data: bytes) -> str:
    """png, jpeg or dicom, from the content (file names lie); else UnsupportedFormat."""
    if data.startswith(PNG_MAGIC):
        return "png"
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    if len(data) > 132 and data[128:132] == b"DICM":
        return "dicom"
    if _looks_like_raw_dicom(data):
        return "dicom"
    raise UnsupportedFormat("not a PNG, JPEG or DICOM file")


def _looks_like_raw_dicom(data: bytes) -> bool:
    """DICOM without the 128-byte preamble starts with a group 0008 (or 0002) element."""
    return len(data) > 8 and data[:2] in (b"\x08\x00", b"\x02\x00") and data[2:4] < b"\x00\x02"


def decode_raster(data: bytes) -> np.ndarray:
    """PNG/JPEG bytes -> uint8 (H, W) grayscale."""
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ImageTooLarge(f"image of {image.width}x{image.height} pixels is more than this server decodes")
            image.load()
            return to_gray_uint8(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableImage(f"cannot decode image: {exc}") from exc


def to_gray_uint8(image: PILImage.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I", "F"):
        return scale_to_uint8(np.asarray(image, dtype=np.float32))
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        background = PILImage.new("RGBA", image.size, (0, 0, 0, 255))  # transparent -> black, as the datasets do
        image = PILImage.alpha_composite(background, image)
    return np.asarray(image.convert("L"), dtype=np.uint8)


def scale_to_uint8(values: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
    """Linear window [low, high] -> [0, 255]; robust percentiles when no window is given."""
    values = values.astype(np.float32)
    if low is None or high is None:
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return np.zeros(values.shape, np.uint8)
        low, high = np.percentile(finite, [0.5, 99.5])
    if high <= low:
        high = low + 1.0
    scaled = (np.nan_to_num(values, nan=low) - low) / (high - low)
    return (np.clip(scaled, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
