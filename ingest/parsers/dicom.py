"""DICOM bytes -> ImageRecord: display-ready pixels plus non-identifying attributes.

Only attributes on an allow-list leave this module, and every UID is remapped, so
no patient identifier can reach the repository through it.
"""
from __future__ import annotations

import io
import re
from datetime import date

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.pixels import apply_modality_lut, apply_voi_lut

from ingest.errors import UnreadableImage
from ingest.parsers.images import scale_to_uint8
from ingest.pseudonyms import pseudonymize, remap_uid
from ingest.records import ImageRecord


def read_dataset(data: bytes) -> pydicom.Dataset:
    try:
        dataset = pydicom.dcmread(io.BytesIO(data), force=True)
    except (InvalidDicomError, EOFError, ValueError, TypeError, KeyError, OSError) as exc:
        raise UnreadableImage(f"corrupted DICOM: {exc}") from exc
    if "SOPInstanceUID" not in dataset and "PixelData" not in dataset:
        raise UnreadableImage("corrupted DICOM: no SOP Instance UID and no pixel data")
    return dataset


def decode_dicom_pixels(dataset: pydicom.Dataset) -> tuple[np.ndarray, int]:
    """Representative frame (the middle one) as uint8 (H, W), and the frame count."""
    if "PixelData" not in dataset:
        raise UnreadableImage("DICOM object has no pixel data (not an image)")
    try:
        frames = int(getattr(dataset, "NumberOfFrames", 1) or 1)
        array = dataset.pixel_array
    except Exception as exc:  # pydicom raises many types for broken or unsupported pixel data
        raise UnreadableImage(f"cannot decode DICOM pixel data: {exc}") from exc
    if frames > 1 and array.ndim >= 3 and array.shape[0] == frames:
        array = array[frames // 2]
    return _to_display(dataset, array), frames


def _to_display(dataset: pydicom.Dataset, array: np.ndarray) -> np.ndarray:
    photometric = str(getattr(dataset, "PhotometricInterpretation", "MONOCHROME2"))
    if array.ndim == 3 and array.shape[-1] in (3, 4):
        if photometric.startswith("YBR"):
            from pydicom.pixels import convert_color_space

            array = convert_color_space(array, photometric, "RGB")
        rgb = array[..., :3].astype(np.float32)
        return scale_to_uint8(rgb @ np.array([0.299, 0.587, 0.114], np.float32), 0, _max_value(dataset))
    if photometric == "PALETTE COLOR":
        from pydicom.pixels import apply_color_lut

        rgb = apply_color_lut(array, dataset).astype(np.float32)
        return scale_to_uint8(rgb @ np.array([0.299, 0.587, 0.114], np.float32))
    if array.ndim != 2:
        raise UnreadableImage(f"unsupported DICOM pixel layout {array.shape}")
    values = apply_modality_lut(array, dataset)
    windowed = _apply_window(dataset, values)
    if photometric == "MONOCHROME1":  # 0 is white in MONOCHROME1
        windowed = 255 - windowed
    return windowed


def _apply_window(dataset: pydicom.Dataset, values: np.ndarray) -> np.ndarray:
    if "WindowCenter" in dataset and "WindowWidth" in dataset or "VOILUTSequence" in dataset:
        try:
            voi = apply_voi_lut(values, dataset, index=0).astype(np.float32)
            return scale_to_uint8(voi, float(voi.min()), float(voi.max()))
        except Exception:  # malformed VOI attributes: fall back to percentiles
            pass
    return scale_to_uint8(values)


def _max_value(dataset: pydicom.Dataset) -> float:
    return float(2 ** int(getattr(dataset, "BitsStored", 8)) - 1)


def parse_dicom(data: bytes) -> ImageRecord:
    dataset = read_dataset(data)
    pixels, frames = decode_dicom_pixels(dataset)
    return ImageRecord(
        pixels=pixels,
        source_format="dicom",
        frame_count=frames,
        study_uid=remap_uid(str(dataset.get("StudyInstanceUID", ""))),
        series_uid=remap_uid(str(dataset.get("SeriesInstanceUID", ""))),
        sop_uid=remap_uid(str(dataset.get("SOPInstanceUID", ""))),
        accession_number=pseudonymize("acc", str(dataset.get("AccessionNumber", "") or "")),
        patient_pseudonym=pseudonymize("pt", str(dataset.get("PatientID", "") or "")),
        series_number=_int_or_none(dataset.get("SeriesNumber")),
        instance_number=_int_or_none(dataset.get("InstanceNumber")),
        modality=str(dataset.get("Modality", "") or ""),
        body_part=str(dataset.get("BodyPartExamined", "") or "").upper(),
        sex=_sex(dataset.get("PatientSex")),
        age_years=parse_age(str(dataset.get("PatientAge", "") or "")),
        metadata=_descriptive_metadata(dataset),
    )


def _descriptive_metadata(dataset: pydicom.Dataset) -> dict:
    keep = ["SOPClassUID", "PhotometricInterpretation", "Rows", "Columns", "BitsStored",
            "SliceThickness", "PixelSpacing", "ViewPosition", "Laterality", "ImageLaterality",
            "Manufacturer", "ManufacturerModelName", "MagneticFieldStrength", "KVP"]
    metadata = {}
    for keyword in keep:
        value = dataset.get(keyword)
        if value not in (None, ""):
            metadata[keyword] = [float(v) for v in value] if keyword == "PixelSpacing" else str(value)
    return metadata


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _sex(value) -> str:
    text = str(value or "").strip().upper()[:1]
    return text if text in ("M", "F", "O") else ""


def parse_age(text: str) -> int | None:
    """DICOM AS ('045Y', '006M', '012W', '003D') -> whole years."""
    match = re.fullmatch(r"\s*(\d{1,3})\s*([DWMY]?)\s*", text or "")
    if not match:
        return None
    number, unit = int(match.group(1)), match.group(2) or "Y"
    return {"Y": number, "M": number // 12, "W": number // 52, "D": number // 365}[unit]


def parse_dicom_date(text: str) -> date | None:
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except (ValueError, TypeError, IndexError):
        return None
