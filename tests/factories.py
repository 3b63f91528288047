"""Small builders of test data; every default can be overridden."""
from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image as PILImage
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

_counter = itertools.count(1)


def png_bytes(pixels: np.ndarray | None = None, *, seed: int | None = None, size: tuple[int, int] = (64, 64)) -> bytes:
    if pixels is None:
        rng = np.random.default_rng(next(_counter) if seed is None else seed)
        pixels = (rng.random(size) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def write_ct_dicom(path: Path, **overrides) -> Path:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = overrides.pop("SOPInstanceUID", generate_uid())
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    fields = {
        "SOPClassUID": CTImageStorage, "SOPInstanceUID": meta.MediaStorageSOPInstanceUID,
        "StudyInstanceUID": generate_uid(), "SeriesInstanceUID": generate_uid(),
        "PatientName": "DOE^JANE", "PatientID": "PID-12345", "PatientBirthDate": "19700101",
        "PatientSex": "F", "PatientAge": "054Y", "AccessionNumber": "ACC-777", "StudyDate": "20240102",
        "Modality": "CT", "BodyPartExamined": "CHEST", "InstanceNumber": 1, "SeriesNumber": 1,
        "Rows": 32, "Columns": 32, "SamplesPerPixel": 1, "PhotometricInterpretation": "MONOCHROME2",
        "BitsAllocated": 16, "BitsStored": 16, "HighBit": 15, "PixelRepresentation": 1,
        "RescaleIntercept": -1024, "RescaleSlope": 1,
    } | overrides
    for keyword, value in fields.items():
        setattr(dataset, keyword, value)
    rng = np.random.default_rng(next(_counter))
    dataset.PixelData = (rng.random((dataset.Rows, dataset.Columns)) * 2000).astype(np.int16).tobytes()
    dataset.save_as(path, enforce_file_format=True)
    return path


def dicom_bytes(**overrides) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return write_ct_dicom(Path(folder) / "x.dcm", **overrides).read_bytes()


def make_dataset(name: str | None = None):
    from ingest.models import Dataset

    return Dataset.objects.get_or_create(name=name or f"dataset-{next(_counter)}")[0]


def ingest_png(*, label: str = "", modality: str = "CT", dataset=None, seed: int | None = None, pixels=None):
    """Store one PNG through the real ingestion service."""
    from ingest.services import ingest_image_bytes

    row = {"file": "x.png", "label": label, "modality": modality}
    return ingest_image_bytes(data=png_bytes(pixels, seed=seed), dataset=dataset or make_dataset("tests"),
                              labels_row=row).image
