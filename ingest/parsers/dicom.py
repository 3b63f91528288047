"""DICOM bytes -> de-identified Dataset -> ImageRecord with display-ready pixels.

Every object is run through ingest.anonymizer before anything is read from it, and only
attributes on an allow-list reach the record, so no patient identifier leaves this module.
"""
from __future__ import annotations

import io
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import numpy as np
import pydicom
from pydicom import config as pydicom_config
from pydicom.pixels import apply_modality_lut, apply_voi_lut, pixel_array

from ingest.anonymizer import AnonymizationPolicy, AnonymizedDicom, anonymize_dataset
from ingest.errors import ImageTooLarge, NotAnImage, UnreadableImage, UnsupportedTransferSyntax
from ingest.parsers.images import MAX_PIXELS, scale_to_uint8
from ingest.records import ImageRecord

# pydicom's value validation warns and logs offending values verbatim, and those values are
# patient identifiers: validate nothing, so nothing is logged.
pydicom_config.settings.reading_validation_mode = pydicom_config.IGNORE
pydicom_config.settings.writing_validation_mode = pydicom_config.IGNORE


def read_dataset(data: bytes) -> pydicom.Dataset:
    try:
        dataset = pydicom.dcmread(io.BytesIO(data), force=True)
        dataset.get("SOPInstanceUID")  # parses the header far enough to find truncation
    except Exception as exc:  # pydicom raises many types on broken input
        raise UnreadableImage(f"corrupted DICOM: {type(exc).__name__}") from exc
    if "SOPInstanceUID" not in dataset and "PixelData" not in dataset:
        raise UnreadableImage("corrupted DICOM: no SOP Instance UID and no pixel data")
    return dataset


def decode_dicom_pixels(dataset: pydicom.Dataset) -> tuple[np.ndarray, int]:
    """Representative frame (the middle one, decoded alone) as uint8 (H, W), and the frame count."""
    (middle,) = decode_dicom_frames(dataset, 1)
    return middle, frame_count(dataset)  # read once already, without error, by decode_dicom_frames


def decode_dicom_frames(dataset: pydicom.Dataset, count: int) -> list[np.ndarray]:
    """Up to `count` frames spread evenly over the object (first and last included), as uint8 (H, W)
    display images: the slices of an enhanced (multi-frame) CT or MR series held in one instance."""
    if "PixelData" not in dataset:
        raise NotAnImage("DICOM object has no pixel data (not an image)")
    with decoder_errors_as_unreadable():
        frames = frame_count(dataset)
        check_pixel_budget(dataset)
        if frames == 1:
            return [_to_display(dataset, dataset.pixel_array)]
        return [_to_display(dataset, pixel_array(dataset, index=index)) for index in spread(frames, count)]


def frame_count(dataset: pydicom.Dataset) -> int:
    return int(getattr(dataset, "NumberOfFrames", 1) or 1)


def spread(total: int, count: int) -> list[int]:
    """`count` indices of range(total), evenly spaced, first and last included (all of them if fewer)."""
    if count >= total:
        return list(range(total))
    if count <= 1:
        return [total // 2]
    return sorted({round(position * (total - 1) / (count - 1)) for position in range(count)})


@contextmanager
def decoder_errors_as_unreadable():
    """Any failure while decoding pixel data becomes UnreadableImage (a 400 with the reason)."""
    try:
        yield
    except UnreadableImage:
        raise
    except NotImplementedError as exc:  # pydicom: no installed plugin decodes this transfer syntax
        raise UnsupportedTransferSyntax("no decoder here reads this transfer syntax") from exc
    except Exception as exc:  # pydicom raises many types for broken or unsupported pixel data
        raise UnreadableImage(f"cannot decode DICOM pixel data: {type(exc).__name__}") from exc
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":  # the Rust (pyo3) decoders panic on broken streams
            raise
        raise UnreadableImage("cannot decode DICOM pixel data: the decoder failed") from exc


def check_pixel_budget(dataset: pydicom.Dataset) -> None:
    """Refuse headers that would make a decoder allocate more than MAX_PIXELS samples per frame."""
    samples = int(dataset.Rows) * int(dataset.Columns) * int(getattr(dataset, "SamplesPerPixel", 1) or 1)
    if samples > MAX_PIXELS:
        raise ImageTooLarge(f"DICOM pixel data of {samples} samples per frame is more than this server decodes")


def _to_display(dataset: pydicom.Dataset, array: np.ndarray) -> np.ndarray:
    photometric = str(getattr(dataset, "PhotometricInterpretation", "MONOCHROME2"))
    if array.ndim == 3 and array.shape[-1] in (3, 4):
        # already RGB: pydicom 3 converts YBR_FULL(_422) itself, and the JPEG / JPEG 2000 decoders undo
        # YBR_RCT / YBR_ICT; converting again would shift every grey level (white became 176)
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


@dataclass
class DeidentifiedDicom:
    record: ImageRecord
    dicom_bytes: bytes  # the de-identified object as a Part 10 file
    quarantine_reason: str  # '' unless the pixels may show identifying text


def parse_dicom(data: bytes, policy: AnonymizationPolicy = AnonymizationPolicy()) -> ImageRecord:
    """Read, de-identify and decode one DICOM object (the de-identified object itself is not kept)."""
    anonymized = deidentify(read_dataset(data), policy)
    return record_from_anonymized(anonymized, *decode_dicom_pixels(anonymized.dataset))


def deidentify_and_decode(dataset: pydicom.Dataset, policy: AnonymizationPolicy) -> DeidentifiedDicom:
    """De-identify a read dataset (in place), decode its pixels and encode it again."""
    anonymized = deidentify(dataset, policy)
    record = record_from_anonymized(anonymized, *decode_dicom_pixels(anonymized.dataset))
    return DeidentifiedDicom(record, encode_dataset(anonymized.dataset), anonymized.quarantine_reason)


def deidentify(dataset: pydicom.Dataset, policy: AnonymizationPolicy) -> AnonymizedDicom:
    """anonymize_dataset, with malformed content that pydicom cannot even walk refused."""
    try:
        return anonymize_dataset(dataset, policy)
    except Exception as exc:  # broken sequences / values surface only while walking them
        raise UnreadableImage(f"corrupted DICOM: cannot de-identify ({type(exc).__name__})") from exc


def record_from_anonymized(anonymized: AnonymizedDicom, pixels: np.ndarray, frames: int) -> ImageRecord:
    """The record of an already de-identified object (its UIDs are remapped, dates shifted)."""
    dataset = anonymized.dataset
    return ImageRecord(
        pixels=pixels,
        source_format="dicom",
        frame_count=frames,
        study_uid=_text(dataset, "StudyInstanceUID"),
        series_uid=_text(dataset, "SeriesInstanceUID"),
        sop_uid=_text(dataset, "SOPInstanceUID"),
        accession_number=anonymized.accession_pseudonym,
        patient_pseudonym=anonymized.patient_pseudonym,
        study_date=parse_dicom_date(_text(dataset, "StudyDate")),
        study_description=_text(dataset, "StudyDescription"),
        series_description=_text(dataset, "SeriesDescription"),
        series_number=_int_or_none(dataset.get("SeriesNumber")),
        instance_number=_int_or_none(dataset.get("InstanceNumber")),
        modality=_text(dataset, "Modality"),
        body_part=_text(dataset, "BodyPartExamined").upper(),
        sex=_sex(dataset.get("PatientSex")),
        age_years=parse_age(_text(dataset, "PatientAge")),
        metadata=_descriptive_metadata(dataset),
    )


def encode_dataset(dataset: pydicom.Dataset) -> bytes:
    """A dataset as a DICOM Part 10 file."""
    buffer = io.BytesIO()
    try:
        dataset.save_as(buffer, enforce_file_format=True)
    except Exception as exc:  # missing SOP class, unencodable values
        raise UnreadableImage(f"cannot write the de-identified DICOM object: {type(exc).__name__}") from exc
    return buffer.getvalue()


def _text(dataset: pydicom.Dataset, keyword: str) -> str:
    try:
        return str(dataset.get(keyword, "") or "").strip()
    except Exception:  # a malformed value is treated as absent
        return ""


def _descriptive_metadata(dataset: pydicom.Dataset) -> dict:
    keep = ["SOPClassUID", "PhotometricInterpretation", "Rows", "Columns", "BitsStored",
            "SliceThickness", "PixelSpacing", "ViewPosition", "Laterality", "ImageLaterality",
            "Manufacturer", "ManufacturerModelName", "MagneticFieldStrength", "KVP"]
    metadata = {}
    for keyword in keep:
        try:
            value = dataset.get(keyword)
            if value not in (None, ""):
                metadata[keyword] = [float(v) for v in value] if keyword == "PixelSpacing" else str(value)
        except Exception:  # malformed optional attribute: leave it out
            continue
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
