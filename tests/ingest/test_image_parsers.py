"""Decoding PNG, JPEG and DICOM into display-ready grayscale pixels."""
import io

import numpy as np
import pytest
from PIL import Image as PILImage

from ingest.errors import UnreadableImage, UnsupportedFormat
from ingest.parsers import parse_image_bytes
from ingest.parsers.dicom import parse_age
from ingest.parsers.images import sniff_format
from tests.factories import dicom_bytes


def encoded(image: PILImage.Image, format_name: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format_name)
    return buffer.getvalue()


def test_sniff_format_reads_content_not_names():
    assert sniff_format(encoded(PILImage.new("L", (4, 4)), "PNG")) == "png"
    assert sniff_format(encoded(PILImage.new("RGB", (4, 4)), "JPEG")) == "jpeg"
    assert sniff_format(dicom_bytes()) == "dicom"
    with pytest.raises(UnsupportedFormat):
        sniff_format(b"GIF89a....")


def test_rgb_jpeg_becomes_grayscale():
    record = parse_image_bytes(encoded(PILImage.new("RGB", (30, 20), (200, 100, 50)), "JPEG"))

    assert record.pixels.shape == (20, 30) and record.pixels.dtype == np.uint8 and record.source_format == "jpeg"


def test_transparent_png_pixels_become_black():
    image = PILImage.new("RGBA", (8, 8), (255, 255, 255, 0))

    record = parse_image_bytes(encoded(image, "PNG"))

    assert record.pixels.max() == 0


def test_sixteen_bit_png_is_scaled_to_the_full_byte_range():
    values = np.tile(np.arange(0, 4000, 40, dtype=np.uint16), (10, 1))

    record = parse_image_bytes(encoded(PILImage.fromarray(values), "PNG"))

    assert record.pixels.min() == 0 and record.pixels.max() == 255


def test_dicom_record_has_remapped_uids_and_no_identity():
    data = dicom_bytes(StudyInstanceUID="1.2.3.4", PatientID="PID-999")

    record = parse_image_bytes(data)

    assert record.study_uid.startswith("2.25.") and record.study_uid != "1.2.3.4"
    assert record.patient_pseudonym.startswith("pt-") and "PID-999" not in repr(record)
    assert record.modality == "CT" and record.age_years == 54 and record.sex == "F"


def test_monochrome1_dicom_is_inverted_for_display():
    plain = parse_image_bytes(dicom_bytes(pixel_seed=3)).pixels
    inverted = parse_image_bytes(dicom_bytes(pixel_seed=3, PhotometricInterpretation="MONOCHROME1")).pixels

    assert plain.shape == inverted.shape and plain.std() > 10  # same random pixels, stored both ways
    assert np.array_equal(inverted.astype(int), 255 - plain.astype(int))


def test_dicom_without_pixels_is_unreadable():
    from pydicom.uid import generate_uid
    import pydicom
    from pydicom.dataset import FileMetaDataset

    dataset = pydicom.Dataset()
    dataset.SOPInstanceUID = generate_uid()
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=False)

    with pytest.raises(UnreadableImage, match="no pixel data"):
        parse_image_bytes(b"\0" * 128 + b"DICM" + buffer.getvalue())


@pytest.mark.parametrize("text, years", [("045Y", 45), ("018M", 1), ("010W", 0), ("400D", 1), ("", None), ("abc", None)])
def test_parse_age_reads_dicom_age_strings(text, years):
    assert parse_age(text) == years


@pytest.mark.parametrize("path", ["pydicom/CT_small.dcm", "pydicom/MR_small_RLE.dcm"])
def test_real_dicom_samples_decode(datasets_dir, path):
    candidates = list((datasets_dir / "dicom_samples").rglob(path.split("/")[-1]))
    assert candidates, f"{path} missing from the shared samples"

    record = parse_image_bytes(candidates[0].read_bytes())

    assert record.pixels.ndim == 2 and record.pixels.std() > 0


def test_a_ybr_jpeg_is_shown_with_its_own_luminance(datasets_dir):
    """JPEG baseline stored as YBR_FULL_422: the grey picture is the image's Y channel, not a colour
    conversion applied twice (which turned white into 176)."""
    import pydicom
    from pydicom.pixels import pixel_array

    path = datasets_dir / "dicom_samples" / "deid-data" / "ctbrain1.dcm"
    luminance = pixel_array(pydicom.dcmread(path), as_rgb=False)[..., 0].astype(int)  # Y of YCbCr

    record = parse_image_bytes(path.read_bytes())

    assert record.pixels.shape == luminance.shape[:2]
    assert np.abs(record.pixels.astype(int) - luminance).mean() < 2
