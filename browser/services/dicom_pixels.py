"""Raw DICOM values for the image viewer: one frame's modality values with its window, and the series to scroll.

The viewer applies window/level itself (PS3.3 C.11.2.1.2), so it needs the values after the Modality
LUT (Hounsfield units for CT), not the 8-bit PNG. Only pixel values and the window/rescale attributes
leave this module; nothing else of the (already de-identified) DICOM header does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pydicom
from django.db.models import F
from pydicom.pixels import apply_modality_lut, pixel_array

from cbir.errors import CbirError, NotFound
from ingest.models import Image
from ingest.parsers.dicom import check_pixel_budget, decoder_errors_as_unreadable  # importing it also silences pydicom's value logging
from ingest.selectors import get_image
from ingest.storage import media_path

GREYSCALE = ("MONOCHROME1", "MONOCHROME2")
VOI_LUT_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")


@dataclass
class FrameValues:
    """One frame's modality values (H, W) and how the DICOM says to display them."""

    values: np.ndarray
    frame: int
    frame_count: int
    window_center: float
    window_width: float
    window_source: str  # "dicom" (the file's own window) or "range" (min/max: the file has none)
    voi_lut_function: str  # LINEAR, LINEAR_EXACT or SIGMOID
    photometric: str  # MONOCHROME1 (the client inverts) or MONOCHROME2
    units: str  # HU, OD, US, ... or "" when unknown
    modality: str


class ColourImage(CbirError):
    """Window/level applies to greyscale values only; the client shows the PNG instead."""


def read_image_frame(*, image_id: int, frame: int, include_quarantined: bool = False) -> FrameValues:
    """The modality values of one frame of an image's stored DICOM (frame numbers start at 0)."""
    image = get_image(image_id, include_quarantined=include_quarantined)
    if not image.dicom_path:
        raise NotFound(f"image {image_id} has no stored DICOM (it came as {image.source_format or 'a picture'}): "
                       "only its PNG can be shown")
    path = media_path(image.dicom_path)
    if not path.is_file():
        raise NotFound(f"the DICOM file of image {image_id} is missing from storage")
    return frame_values(pydicom.dcmread(path, force=True), frame=frame, image_id=image_id)


def frame_values(dataset: pydicom.Dataset, *, frame: int, image_id: int | str = "") -> FrameValues:
    """Decode one frame and apply the Modality LUT; raises ColourImage or a 400 for a bad frame number."""
    frame_count = int(dataset.get("NumberOfFrames", 1) or 1)
    if not 0 <= frame < frame_count:
        raise CbirError(f"frame {frame} is out of range: image {image_id} has {frame_count} frame(s), "
                        f"numbered 0 to {frame_count - 1}")
    photometric = str(dataset.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper()
    if photometric not in GREYSCALE or int(dataset.get("SamplesPerPixel", 1) or 1) != 1:
        raise ColourImage(f"image {image_id} is a colour DICOM ({photometric}): window/level applies to "
                          "greyscale images only")
    values = modality_values(decode_frame(dataset, frame), dataset, frame)
    center, width, source = default_window(dataset, frame, values)
    return FrameValues(values=values, frame=frame, frame_count=frame_count, window_center=center,
                       window_width=width, window_source=source, voi_lut_function=voi_lut_function(dataset, frame),
                       photometric=photometric, units=value_units(dataset, frame),
                       modality=ascii_text(dataset.get("Modality", "")))


def decode_frame(dataset: pydicom.Dataset, frame: int) -> np.ndarray:
    """The stored values of one frame, (H, W); decoder failures become a 400 with the reason."""
    with decoder_errors_as_unreadable():
        check_pixel_budget(dataset)
        array = pixel_array(dataset, index=frame)
    if array.ndim != 2:
        raise CbirError(f"unsupported DICOM pixel layout {array.shape}")
    return array


def modality_values(array: np.ndarray, dataset: pydicom.Dataset, frame: int) -> np.ndarray:
    """Stored values -> modality values: pydicom's Modality LUT, or an enhanced object's per-frame rescale.

    Enhanced (multi-frame) objects keep Rescale Slope/Intercept in the functional groups, where
    pydicom's apply_modality_lut does not look.
    """
    if "ModalityLUTSequence" in dataset or "RescaleSlope" in dataset:
        return np.asarray(apply_modality_lut(array, dataset))
    transformation = functional_group_item(dataset, frame, "PixelValueTransformationSequence")
    if transformation is not None and "RescaleSlope" in transformation:
        slope = float(transformation.RescaleSlope)
        intercept = float(transformation.get("RescaleIntercept", 0) or 0)
        return array.astype(np.float64) * slope + intercept
    return array


def functional_group_item(dataset: pydicom.Dataset, frame: int, keyword: str) -> pydicom.Dataset | None:
    """The first item of a functional group macro for this frame: per-frame first, then shared."""
    for groups, index in (("PerFrameFunctionalGroupsSequence", frame), ("SharedFunctionalGroupsSequence", 0)):
        sequence = dataset.get(groups)
        if sequence is not None and len(sequence) > index and keyword in sequence[index]:
            items = sequence[index][keyword].value
            if len(items):
                return items[0]
    return None


def default_window(dataset: pydicom.Dataset, frame: int, values: np.ndarray) -> tuple[float, float, str]:
    """(center, width, source): the DICOM's first WindowCenter/WindowWidth, else the values' full range."""
    for holder in (dataset, functional_group_item(dataset, frame, "FrameVOILUTSequence")):
        window = first_window(holder) if holder is not None else None
        if window is not None:
            return (*window, "dicom")
    low, high = float(values.min()), float(values.max())
    return (low + high) / 2, max(high - low, 1.0), "range"


def first_window(holder: pydicom.Dataset) -> tuple[float, float] | None:
    """First value of a possibly multi-valued window; None if absent or unusable (width below 1)."""
    if "WindowCenter" not in holder or "WindowWidth" not in holder:
        return None
    try:
        center, width = (float(holder[keyword].value[0] if holder[keyword].VM > 1 else holder[keyword].value)
                         for keyword in ("WindowCenter", "WindowWidth"))
    except (TypeError, ValueError, IndexError):  # malformed window: use the value range instead
        return None
    return (center, width) if width >= 1 and np.isfinite(center) and np.isfinite(width) else None


def voi_lut_function(dataset: pydicom.Dataset, frame: int) -> str:
    voi = functional_group_item(dataset, frame, "FrameVOILUTSequence")
    name = str(dataset.get("VOILUTFunction", "") or (voi.get("VOILUTFunction", "") if voi is not None else ""))
    return name.strip().upper() if name.strip().upper() in VOI_LUT_FUNCTIONS else "LINEAR"


def value_units(dataset: pydicom.Dataset, frame: int) -> str:
    """The Rescale Type; CT values after rescaling are Hounsfield units even when the type is absent or 'US'."""
    transformation = functional_group_item(dataset, frame, "PixelValueTransformationSequence")
    declared = dataset.get("RescaleType", "")
    if not declared and transformation is not None:
        declared = transformation.get("RescaleType", "")
    declared = ascii_text(declared).upper()
    has_rescale = "RescaleSlope" in dataset or transformation is not None
    if str(dataset.get("Modality", "")).upper() == "CT" and has_rescale and declared in ("", "US"):
        return "HU"
    return declared


def ascii_text(value, limit: int = 16) -> str:
    """A short header-safe string (HTTP headers are ASCII)."""
    return re.sub(r"[^\x20-\x7e]", "", str(value or "")).strip()[:limit]


def compact_values(values: np.ndarray) -> np.ndarray:
    """The smallest little-endian type holding the values exactly: int16, uint16, else float32."""
    low, high = float(values.min()), float(values.max())
    if np.all(np.mod(values, 1) == 0):
        if -32768 <= low and high <= 32767:
            return values.astype("<i2")
        if 0 <= low and high <= 65535:
            return values.astype("<u2")
    return values.astype("<f4")


def frame_headers(frame: FrameValues, body: np.ndarray) -> dict[str, str]:
    """What the viewer needs besides the values; window and range in modality units."""
    height, width = frame.values.shape
    return {
        "X-Value-Type": {"<i2": "int16", "<u2": "uint16", "<f4": "float32"}[body.dtype.str],
        "X-Width": str(width), "X-Height": str(height),
        "X-Frame": str(frame.frame), "X-Frame-Count": str(frame.frame_count),
        "X-Min": repr(float(frame.values.min())), "X-Max": repr(float(frame.values.max())),
        "X-Window-Center": repr(frame.window_center), "X-Window-Width": repr(frame.window_width),
        "X-Window-Source": frame.window_source, "X-Voi-Lut-Function": frame.voi_lut_function,
        "X-Photometric": frame.photometric, "X-Units": frame.units, "X-Modality": frame.modality,
    }


def list_series_images(*, image_id: int, include_quarantined: bool = False) -> dict:
    """The READY images of this image's series, by instance number then id, for scrolling slices and frames."""
    image = get_image(image_id, include_quarantined=include_quarantined)
    images = (Image.objects.filter(series_id=image.series_id, status=Image.Status.READY)
              .order_by(F("instance_number").asc(nulls_last=True), "id")
              .values("id", "instance_number", "frame_count", "dicom_path"))
    return {"image_id": image.pk, "series_id": image.series_id,
            "images": [{"id": row["id"], "instance_number": row["instance_number"],
                        "frame_count": row["frame_count"], "has_dicom": bool(row["dicom_path"])} for row in images]}
