"""Content-addressed files under MEDIA_ROOT, written atomically (temp file + rename)."""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import numpy as np
from django.conf import settings
from PIL import Image as PILImage

THUMBNAIL_SIDE = 160


def media_path(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def write_atomically(relative: str, data: bytes) -> str:
    """Write bytes to MEDIA_ROOT/relative so readers never see a partial file."""
    target = media_path(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())  # the row naming this file commits next: its bytes must be on disk first
        os.replace(temporary, target)
        fsync_directory(target.parent)  # and so must the rename, or a power cut leaves the row without a file
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return relative


def fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_tree(root: Path) -> None:
    """Every file below `root`, then the folders: what a rename is about to publish is on disk."""
    for path in sorted(Path(root).rglob("*"), reverse=True):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        else:
            fsync_directory(path)
    fsync_directory(Path(root))


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def thumbnail_pixels(pixels: np.ndarray, side: int = THUMBNAIL_SIDE) -> np.ndarray:
    image = PILImage.fromarray(pixels)
    image.thumbnail((side, side), PILImage.LANCZOS)
    return np.asarray(image)


def store_image_files(pixels: np.ndarray, content_hash: str) -> tuple[str, str]:
    """Save the display PNG and its thumbnail; returns both paths relative to MEDIA_ROOT."""
    shard = content_hash[:2]
    pixels_path = write_atomically(f"images/{shard}/{content_hash}.png", png_bytes(pixels))
    thumbnail_path = write_atomically(f"thumbnails/{shard}/{content_hash}.png", png_bytes(thumbnail_pixels(pixels)))
    return pixels_path, thumbnail_path


def remove_files(*relative_paths: str) -> None:
    for relative in relative_paths:
        if relative:
            media_path(relative).unlink(missing_ok=True)


def load_pixels(relative: str) -> np.ndarray:
    with PILImage.open(media_path(relative)) as image:
        return np.asarray(image.convert("L"), dtype=np.uint8)


def store_dicom_file(data: bytes, content_hash: str) -> str:
    """Save a de-identified DICOM object; returns its path relative to MEDIA_ROOT."""
    return write_atomically(f"dicom/{content_hash[:2]}/{content_hash}.dcm", data)
