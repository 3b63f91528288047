"""GET /api/images/{id}/raw/ (a frame's modality values) and /series/ (the slices to scroll), on real DICOM."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_modality_lut

from browser.models import AuditEvent
from ingest.models import Image
from ingest.services import get_or_create_dataset, ingest_image_bytes
from tests.factories import ingest_png

pytestmark = pytest.mark.django_db

VALUE_TYPES = {"int16": "<i2", "uint16": "<u2", "float32": "<f4"}
ALLOWED_HEADERS = {"X-Value-Type", "X-Width", "X-Height", "X-Frame", "X-Frame-Count", "X-Min", "X-Max",
                   "X-Window-Center", "X-Window-Width", "X-Window-Source", "X-Voi-Lut-Function", "X-Photometric",
                   "X-Units", "X-Modality"}
SECURITY_HEADERS = {"X-Frame-Options", "X-Content-Type-Options"}  # Django's middleware, on every answer


@pytest.fixture
def samples(datasets_dir) -> Path:
    return datasets_dir / "dicom_samples"


def ingest_sample(path: Path) -> Image:
    return ingest_image_bytes(data=path.read_bytes(), dataset=get_or_create_dataset("dicom-samples")).image


def raw_values(response) -> np.ndarray:
    dtype = VALUE_TYPES[response["X-Value-Type"]]
    return np.frombuffer(response.content, dtype=dtype).reshape(int(response["X-Height"]), int(response["X-Width"]))


def source_values(path: Path, frame: int | None = None) -> np.ndarray:
    dataset = pydicom.dcmread(path)
    stored = dataset.pixel_array if frame is None else dataset.pixel_array[frame]
    return apply_modality_lut(stored, dataset)


def test_a_ct_slice_comes_in_hounsfield_units_with_the_files_window(api_client, samples):
    source = samples / "pydicom-data" / "693_UNCI.dcm"
    image = ingest_sample(source)

    response = api_client.get(f"/api/images/{image.pk}/raw/")

    assert response.status_code == 200 and response["Content-Type"] == "application/octet-stream"
    values = raw_values(response)
    np.testing.assert_array_equal(values, source_values(source))
    assert abs(values[20:28, 236:276].mean() - (-1000)) < 30, "the air above the head is not about -1000 HU"
    original = pydicom.dcmread(source)
    assert float(response["X-Window-Center"]) == float(original.WindowCenter) == 40
    assert float(response["X-Window-Width"]) == float(original.WindowWidth) == 100
    assert response["X-Window-Source"] == "dicom" and response["X-Units"] == "HU"
    assert response["X-Photometric"] == "MONOCHROME2" and response["X-Modality"] == "CT"
    assert float(response["X-Min"]) == values.min() and float(response["X-Max"]) == values.max()


def test_the_answer_holds_only_pixel_values_and_window_fields(api_client, samples):
    image = ingest_sample(samples / "pydicom-data" / "693_UNCI.dcm")

    response = api_client.get(f"/api/images/{image.pk}/raw/")

    custom = {name for name, _ in response.items() if name.lower().startswith("x-")} - SECURITY_HEADERS
    assert custom == ALLOWED_HEADERS
    assert len(response.content) == 512 * 512 * 2  # int16 holds HU exactly: half the size of float32


def test_frames_of_a_multi_frame_mr_differ_and_default_to_the_value_range(api_client, samples):
    source = samples / "pydicom-data" / "emri_small.dcm"
    image = ingest_sample(source)

    first = api_client.get(f"/api/images/{image.pk}/raw/?frame=0")
    sixth = api_client.get(f"/api/images/{image.pk}/raw/?frame=5")

    assert first.status_code == sixth.status_code == 200
    assert first["X-Frame-Count"] == "10" and sixth["X-Frame"] == "5"
    assert not np.array_equal(raw_values(first), raw_values(sixth))
    np.testing.assert_array_equal(raw_values(sixth), source_values(source, frame=5))
    low, high = float(sixth["X-Min"]), float(sixth["X-Max"])
    assert sixth["X-Window-Source"] == "range"
    assert float(sixth["X-Window-Center"]) == (low + high) / 2 and float(sixth["X-Window-Width"]) == high - low


@pytest.mark.parametrize("frame", ["10", "-1", "two"])
def test_a_bad_frame_number_is_refused_with_a_message(api_client, samples, frame):
    image = ingest_sample(samples / "pydicom-data" / "emri_small.dcm")

    response = api_client.get(f"/api/images/{image.pk}/raw/?frame={frame}")

    assert response.status_code == 400
    assert "frame" in response.json()["error"]


def test_an_enhanced_ct_takes_rescale_and_window_from_its_functional_groups(api_client, samples):
    source = samples / "pydicom-data" / "eCT_Supplemental.dcm"
    image = ingest_sample(source)

    frames = [api_client.get(f"/api/images/{image.pk}/raw/?frame={index}") for index in (0, 1)]

    stored = pydicom.dcmread(source).pixel_array.astype(np.float64)
    for index, response in enumerate(frames):
        np.testing.assert_array_equal(raw_values(response), stored[index] - 1024)  # shared group: slope 1, -1024
        assert (response["X-Window-Center"], response["X-Window-Width"]) == ("49.0", "102.0")
        assert response["X-Units"] == "HU"
    assert not np.array_equal(raw_values(frames[0]), raw_values(frames[1]))


def test_monochrome1_is_flagged_for_the_client_to_invert(api_client, samples):
    image = ingest_sample(samples / "pydicom" / "dicomdirtests" / "77654033" / "CR1" / "6154")

    response = api_client.get(f"/api/images/{image.pk}/raw/")

    assert response.status_code == 200 and response["X-Photometric"] == "MONOCHROME1"


def test_an_image_without_dicom_gives_404_with_a_message(api_client):
    image = ingest_png(seed=3)

    response = api_client.get(f"/api/images/{image.pk}/raw/")

    assert response.status_code == 404
    assert "no stored DICOM" in response.json()["error"]


def test_a_colour_dicom_gives_400_so_the_client_shows_the_png(api_client, samples):
    image = ingest_sample(samples / "pydicom-data" / "color-pl.dcm")

    response = api_client.get(f"/api/images/{image.pk}/raw/")

    assert response.status_code == 400
    assert "colour" in response.json()["error"]


def test_the_series_lists_ready_images_by_instance_number(api_client, samples):
    folder = samples / "pydicom" / "dicomdirtests" / "77654033" / "CT2"
    shuffled = {name: ingest_sample(folder / name) for name in ["17196", "17136", "17106", "17166"]}
    Image.objects.filter(pk=shuffled["17166"].pk).update(status=Image.Status.QUARANTINED)

    response = api_client.get(f"/api/images/{shuffled['17196'].pk}/series/")

    assert response.status_code == 200
    body = response.json()
    assert body["image_id"] == shuffled["17196"].pk and body["series_id"] == shuffled["17196"].series_id
    assert [row["id"] for row in body["images"]] == [shuffled[name].pk for name in ["17106", "17136", "17196"]]
    assert [row["instance_number"] for row in body["images"]] == [18, 180, 182]
    assert all(row["has_dicom"] and row["frame_count"] == 1 for row in body["images"])


def test_the_series_of_a_png_says_it_has_no_dicom(api_client):
    image = ingest_png(seed=4)

    body = api_client.get(f"/api/images/{image.pk}/series/").json()

    assert body["images"] == [{"id": image.pk, "instance_number": None, "frame_count": 1, "has_dicom": False}]


@pytest.mark.parametrize("endpoint", ["raw", "series"])
def test_an_unknown_image_is_404(api_client, endpoint):
    response = api_client.get(f"/api/images/999999/{endpoint}/")

    assert response.status_code == 404 and "999999" in response.json()["error"]


def test_scrolling_slices_does_not_log_more_case_views(api_client, samples):
    image = ingest_sample(samples / "pydicom-data" / "emri_small.dcm")

    answers = [api_client.get(f"/api/images/{image.pk}/"), api_client.get(f"/api/images/{image.pk}/series/")]
    answers += [api_client.get(f"/api/images/{image.pk}/raw/?frame={frame}") for frame in range(3)]

    assert [answer.status_code for answer in answers] == [200] * 5  # the slices were served
    assert AuditEvent.objects.filter(action="view_case").count() == 1
