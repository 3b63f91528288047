"""Small builders of test data; every default can be overridden."""
from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
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


def write_ct_dicom(path: Path, *, pixel_seed: int | None = None, **overrides) -> Path:
    """A CT instance with identity in it; random pixels, reproducible with `pixel_seed`."""
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
    rng = np.random.default_rng(next(_counter) if pixel_seed is None else pixel_seed)
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


def hl7_oru_message(*, control_id: str | None = None, patient_id: str = "PID-12345", accession: str = "ACC-777",
                    study_uid: str = "", family: str = "DOE", given: str = "JANE", sex: str = "F",
                    birth_date: str = "19700101", report_text: str = "No focal consolidation.",
                    impression: str = "Right lower lobe pneumonia.",
                    diagnosis: tuple[str, str, str] = ("486", "Pneumonia, organism unspecified", "I9C"),
                    extra_segments: tuple[str, ...] = ()) -> str:
    """An ORU^R01 radiology report (CR-separated) whose identity fields can be set to markers."""
    control_id = control_id or f"MSG{next(_counter)}"
    code, display, system = diagnosis
    segments = [
        f"MSH|^~\\&|RIS|HOSP|CBIR|CBIR|20240103120000||ORU^R01^ORU_R01|{control_id}|P|2.5.1",
        f"PID|1||{patient_id}^^^HOSP^MR||{family}^{given}||{birth_date}|{sex}",
        f"ORC|RE|ORD-1|{accession}",
        f"OBR|1|ORD-1|{accession}|71020^CHEST XRAY 2 VIEWS^C4|||20240102090000|||||||||||{accession}||||"
        f"20240103110000||CR|F",
        f"OBX|1|TX|18782-3^Radiology Study observation^LN||{report_text}||||||F",
        f"OBX|2|TX|19005-8^Impression^LN||{impression}||||||F",
        "OBX|3|CWE|18782-3^Finding^LN||233604007^Pneumonia^SCT||||||F",
        f"DG1|1||{code}^{display}^{system}||",
    ]
    if study_uid:
        segments.insert(4, f"ZDS|{study_uid}^RIS^Application^DICOM")
    return "\r".join([*segments, *extra_segments]) + "\r"


def make_user(role: str, username: str | None = None):
    from browser.accounts import create_user_with_role

    return create_user_with_role(username=username or f"{role}-{next(_counter)}", password="pw-" + role, role=role)
