"""POST /dicomweb/studies (STOW-RS): real multipart/related bodies through Django and dicomweb-client."""
from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from ingest.models import Image, Rejection
from ingest.pseudonyms import remap_uid
from ingest.storage import media_path

pytestmark = pytest.mark.django_db

BOUNDARY = "cbir-test-boundary-7f3a"
CONTENT_TYPE = f'multipart/related; type="application/dicom"; boundary={BOUNDARY}'
REFERENCED, FAILED, REASON = "00081199", "00081198", "00081197"


def multipart(*contents: bytes, part_type: str = "application/dicom") -> bytes:
    body = b""
    for content in contents:
        body += f"--{BOUNDARY}\r\nContent-Type: {part_type}\r\n\r\n".encode() + content + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def sample_bytes(datasets_dir: Path, relative: str) -> bytes:
    return (datasets_dir / "dicom_samples" / relative).read_bytes()


def post(client, body: bytes, content_type: str = CONTENT_TYPE):
    return client.post("/dicomweb/studies", data=body, content_type=content_type,
                       HTTP_ACCEPT="application/dicom+json")


def uids(response, sequence: str, tag: str = "00081155") -> list:
    return [item[tag]["Value"][0] for item in response.json().get(sequence, {}).get("Value", [])]


def dataset_bytes(dataset) -> bytes:
    import io

    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def stored_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_stow_stores_instances_and_references_their_deidentified_uids(client, datasets_dir):
    ct, mr = sample_bytes(datasets_dir, "pydicom/CT_small.dcm"), sample_bytes(datasets_dir, "pydicom/MR_small.dcm")

    response = post(client, multipart(ct, mr))

    assert response.status_code == 200 and response["Content-Type"] == "application/dicom+json"
    originals = [pydicom.dcmread(datasets_dir / "dicom_samples" / name).SOPInstanceUID
                 for name in ("pydicom/CT_small.dcm", "pydicom/MR_small.dcm")]
    assert uids(response, REFERENCED) == [remap_uid(uid) for uid in originals]
    assert all(media_path(image.dicom_path).is_file() for image in Image.objects.all())
    assert FAILED not in response.json()


def test_resent_instances_are_acknowledged_without_duplicates(client, datasets_dir):
    ct = sample_bytes(datasets_dir, "pydicom/CT_small.dcm")
    post(client, multipart(ct))

    response = post(client, multipart(ct))

    assert response.status_code == 200 and len(uids(response, REFERENCED)) == 1
    assert Image.objects.count() == 1


def test_some_parts_refused_answers_202_with_failure_reasons(client, datasets_dir):
    ct = sample_bytes(datasets_dir, "pydicom/CT_small.dcm")

    response = post(client, multipart(ct, b"definitely not DICOM" * 10))

    assert response.status_code == 202
    assert len(uids(response, REFERENCED)) == 1
    assert uids(response, FAILED, REASON) == [0xC000]
    assert Rejection.objects.get().channel == "stow-rs"


def test_nothing_stored_answers_409(client, datasets_dir, settings):
    rtplan = sample_bytes(datasets_dir, "pydicom/rtplan.dcm")
    ct = sample_bytes(datasets_dir, "pydicom/CT_small.dcm")

    response = post(client, multipart(rtplan, ct[: len(ct) // 2]))

    assert response.status_code == 409
    assert uids(response, FAILED, REASON) == [0x0122, 0xC000]
    assert Image.objects.count() == 0 and stored_files(settings) == []
    assert Rejection.objects.count() == 2


def test_non_dicom_parts_are_refused(client):
    response = post(client, multipart(b'{"not": "dicom"}', part_type="application/json"))

    assert response.status_code == 409 and uids(response, FAILED, REASON) == [0xC000]


def test_a_png_sent_as_application_dicom_is_refused_not_stored(client, datasets_dir):
    from tests.factories import png_bytes

    response = post(client, multipart(png_bytes(seed=1)))

    assert response.status_code == 409 and uids(response, FAILED, REASON) == [0xC000]
    assert Image.objects.count() == 0


def test_a_part_without_header_fields_keeps_content_that_holds_a_blank_line(client, datasets_dir):
    dataset = pydicom.dcmread(datasets_dir / "dicom_samples" / "pydicom/CT_small.dcm")
    pixels = bytearray(dataset.PixelData)
    pixels[100:104] = b"\r\n\r\n"  # the header/content separator, inside the pixel data
    dataset.PixelData = bytes(pixels)
    content = dataset_bytes(dataset)
    body = f"--{BOUNDARY}\r\n\r\n".encode() + content + f"\r\n--{BOUNDARY}--\r\n".encode()

    response = post(client, body)

    assert response.status_code == 200 and Image.objects.count() == 1


def test_a_body_cut_off_before_its_closing_delimiter_is_400_in_plain_json_and_stores_nothing(client, datasets_dir):
    ct = sample_bytes(datasets_dir, "pydicom/CT_small.dcm")
    whole = multipart(ct)

    response = post(client, whole[: len(whole) - 200])

    assert response.status_code == 400 and "closing delimiter" in response.json()["error"]
    assert response["Content-Type"].startswith("application/json")
    assert Image.objects.count() == 0


def test_an_unexpected_failure_fails_its_part_only_and_the_others_are_reported(client, datasets_dir, monkeypatch):
    from django.db import OperationalError

    from ingest import services

    def broken_record(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "record_rejection", broken_record)
    ct = sample_bytes(datasets_dir, "pydicom/CT_small.dcm")

    response = post(client, multipart(ct, b"definitely not DICOM" * 10))

    assert response.status_code == 202
    assert len(uids(response, REFERENCED)) == 1 and uids(response, FAILED, REASON) == [0x0110]
    assert Image.objects.count() == 1


def test_our_size_limit_and_a_transfer_syntax_we_cannot_decode_get_their_own_failure_reasons(client):
    import io

    from pydicom.encaps import encapsulate

    from tests.factories import dicom_bytes

    huge = pydicom.dcmread(io.BytesIO(dicom_bytes()))
    huge.Rows = huge.Columns = 10_000  # 100 M samples a frame: over what the server decodes
    mpeg = pydicom.dcmread(io.BytesIO(dicom_bytes()))
    mpeg.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2: no decoder installed
    mpeg.PixelData = encapsulate([b"\0" * 100])

    response = post(client, multipart(dataset_bytes(huge), dataset_bytes(mpeg)))

    assert response.status_code == 409 and uids(response, FAILED, REASON) == [0xA700, 0xC122]


def test_storing_to_a_study_resource_refuses_instances_of_other_studies(client, datasets_dir):
    ct, mr = sample_bytes(datasets_dir, "pydicom/CT_small.dcm"), sample_bytes(datasets_dir, "pydicom/MR_small.dcm")
    study = pydicom.dcmread(datasets_dir / "dicom_samples" / "pydicom/CT_small.dcm").StudyInstanceUID

    response = client.post(f"/dicomweb/studies/{study}", data=multipart(ct, mr), content_type=CONTENT_TYPE,
                           HTTP_ACCEPT="application/dicom+json")

    assert response.status_code == 202
    assert len(uids(response, REFERENCED)) == 1 and uids(response, FAILED, REASON) == [0xC409]
    assert Image.objects.get().modality == "CT"


@pytest.mark.parametrize("content_type", ["application/dicom", "application/json",
                                          f'multipart/related; type="application/dicom+json"; boundary={BOUNDARY}'])
def test_other_media_types_answer_415(client, content_type):
    response = post(client, multipart(b"x"), content_type=content_type)

    assert response.status_code == 415 and response.json()["error"]


@pytest.mark.parametrize("content_type, body", [
    ('multipart/related; type="application/dicom"', multipart(b"x")),
    (CONTENT_TYPE, b"no delimiter anywhere in this body"),
])
def test_malformed_multipart_answers_400(client, content_type, body):
    response = post(client, body, content_type=content_type)

    assert response.status_code == 400 and response.json()["error"]


def test_stored_images_are_embedded_and_indexed_after_commit(client, datasets_dir, django_capture_on_commit_callbacks):
    from browser.models import IndexVersion

    body = multipart(sample_bytes(datasets_dir, "pydicom/CT_small.dcm"),
                     sample_bytes(datasets_dir, "pydicom-data/US1_UNCR.dcm"))

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, body)

    assert response.status_code == 200
    assert IndexVersion.objects.get(status="ready").vector_count == 1
    quarantined = Image.objects.get(status=Image.Status.QUARANTINED)
    assert not quarantined.embeddings.exists()


def test_a_failed_embedding_does_not_fail_the_store_and_build_index_all_catches_up(
        client, datasets_dir, django_capture_on_commit_callbacks, monkeypatch):
    from django.core.management import call_command

    import embeddings.services

    def broken_encoder(**kwargs):
        raise RuntimeError("the encoder's checkpoint is missing")

    with monkeypatch.context() as patched:
        patched.setattr(embeddings.services, "embed_and_index_new_images", broken_encoder)
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client, multipart(sample_bytes(datasets_dir, "pydicom/CT_small.dcm")))
    stored = Image.objects.get()
    call_command("build_index", "--all")

    assert response.status_code == 200 and len(uids(response, REFERENCED)) == 1
    assert stored.embeddings.count() == 1


def test_a_database_failure_on_one_part_fails_that_part_only(client, datasets_dir, monkeypatch):
    from django.db import OperationalError

    import ingest.services

    real_ingest = ingest.services.ingest_image_bytes
    calls = []

    def failing_second_time(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OperationalError("database is locked")
        return real_ingest(**kwargs)

    monkeypatch.setattr(ingest.services, "ingest_image_bytes", failing_second_time)
    body = multipart(sample_bytes(datasets_dir, "pydicom/CT_small.dcm"), sample_bytes(datasets_dir, "pydicom/MR_small.dcm"))

    response = post(client, body)

    assert response.status_code == 202 and len(uids(response, REFERENCED)) == 1
    assert uids(response, FAILED, REASON) == [0xA700] and Image.objects.count() == 1


def test_a_body_over_the_limit_is_413_with_a_message_and_stores_nothing(client, datasets_dir, settings):
    from ingest.models import Image

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = post(client, multipart(sample_bytes(datasets_dir, "pydicom/CT_small.dcm")))

    assert response.status_code == 413 and "CBIR_MAX_UPLOAD_BYTES" in response.json()["error"]
    assert not Image.objects.exists()
