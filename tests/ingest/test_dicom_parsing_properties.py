"""Property tests: whatever bytes arrive, the DICOM path answers with a record or one of our errors."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from cbir.errors import CbirError
from ingest.anonymizer import AnonymizationPolicy
from ingest.parsers import parse_image_bytes
from ingest.parsers.dicom import deidentify_and_decode, read_dataset

SAMPLES = ["pydicom/CT_small.dcm", "pydicom/MR_small_RLE.dcm", "pydicom-data/emri_small.dcm"]
DICOM_PREFIX = b"\0" * 128 + b"DICM"
# CBIR_FUZZ_EXAMPLES=2000 for a longer hunt than the suite's default.
PROPERTY_SETTINGS = hypothesis_settings(max_examples=int(os.environ.get("CBIR_FUZZ_EXAMPLES", "150")), deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow])


def sample_bytes() -> list[bytes]:
    root = Path(settings.DATASETS_DIR) / "dicom_samples"
    return [(root / name).read_bytes() for name in SAMPLES if (root / name).is_file()]


def run_dicom_path(data: bytes) -> None:
    """The pipeline every receiver runs: read, de-identify, decode, re-encode."""
    parsed = deidentify_and_decode(read_dataset(data), AnonymizationPolicy())
    assert parsed.record.pixels.ndim == 2 and parsed.dicom_bytes[128:132] == b"DICM"


@st.composite
def mutated_sample(draw) -> bytes:
    samples = sample_bytes()
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        position = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[position] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[position:]
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[position:position + draw(st.integers(1, 64))]
        if not data:
            break
    return bytes(data)


@pytest.fixture(scope="module", autouse=True)
def samples_exist():
    assert sample_bytes(), "shared DICOM samples not found (set CBIR_DATASETS)"


@PROPERTY_SETTINGS
@given(st.binary(max_size=2048))
def test_random_bytes_after_a_dicom_preamble_raise_only_our_errors(tail):
    try:
        run_dicom_path(DICOM_PREFIX + tail)
    except CbirError:
        pass


@PROPERTY_SETTINGS
@given(st.binary(max_size=512))
def test_random_bytes_of_any_kind_raise_only_our_errors(data):
    try:
        parse_image_bytes(data)
    except CbirError:
        pass


@PROPERTY_SETTINGS
@given(mutated_sample())
def test_mutated_real_files_raise_only_our_errors(data):
    try:
        run_dicom_path(data)
    except CbirError:
        pass
