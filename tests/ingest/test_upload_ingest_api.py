"""Curators upload files into the repository; each bad file refuses only itself."""
import io

import pytest

from ingest.models import Image, Rejection
from tests.factories import png_bytes

pytestmark = pytest.mark.django_db


def named(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def test_upload_stores_good_files_refuses_bad_ones_and_embeds(client_as, django_capture_on_commit_callbacks):
    files = [named(png_bytes(seed=1), "a.png"), named(b"not an image", "b.png"), named(png_bytes(seed=2), "c.png")]

    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("curator").post("/api/curation/uploads/", {"files": files, "dataset": "teaching-uploads",
                                                                         "label": "glioma", "modality": "MR"},
                                             format="multipart")

    assert response.status_code == 201
    outcomes = {row["name"]: row for row in response.json()}
    assert outcomes["a.png"]["status"] == "stored" and outcomes["b.png"]["status"] == "refused"
    assert "not a PNG, JPEG or DICOM" in outcomes["b.png"]["reason"]
    stored = Image.objects.get(pk=outcomes["c.png"]["image_id"])
    assert stored.label == "glioma" and stored.modality == "MR" and stored.embeddings.exists()
    assert Rejection.objects.filter(channel="upload").count() == 1


def test_uploading_the_same_file_again_is_a_no_op(client_as):
    client = client_as("curator")
    client.post("/api/curation/uploads/", {"files": [named(png_bytes(seed=3), "x.png")]}, format="multipart")

    again = client.post("/api/curation/uploads/", {"files": [named(png_bytes(seed=3), "x.png")]}, format="multipart")

    assert again.json()[0]["status"] == "present" and Image.objects.count() == 1


def test_only_curators_upload(client_as):
    response = client_as("educator").post("/api/curation/uploads/", {"files": [named(png_bytes(seed=4), "y.png")]},
                                          format="multipart")

    assert response.status_code == 403 and Image.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused_and_recorded(client_as, settings):
    settings.MAX_UPLOAD_BYTES = 100

    response = client_as("curator").post("/api/curation/uploads/", {"files": [named(png_bytes(seed=5), "big.png")]},
                                         format="multipart")

    assert response.json()[0]["status"] == "refused" and "over the limit" in response.json()[0]["reason"]
    assert Image.objects.count() == 0 and Rejection.objects.filter(channel="upload").count() == 1


def test_a_large_upload_is_never_spooled_to_a_temporary_file(client_as, monkeypatch):
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    def refuse_disk(*args, **kwargs):
        raise AssertionError("an upload was written to a temporary file before de-identification")

    monkeypatch.setattr(TemporaryFileUploadHandler, "new_file", refuse_disk)
    big = named(png_bytes(seed=5) + b"\0" * (6 * 1024 * 1024), "big.png")  # over Django's 4 MB default

    response = client_as("curator").post("/api/curation/uploads/", {"files": [big]}, format="multipart")

    assert response.status_code == 201 and response.json()[0]["status"] in ("stored", "refused")


def test_a_request_over_the_memory_limit_is_refused_whole_instead_of_spooled(client_as, settings, monkeypatch):
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    def refuse_disk(*args, **kwargs):
        raise AssertionError("an upload was written to a temporary file before de-identification")

    monkeypatch.setattr(TemporaryFileUploadHandler, "new_file", refuse_disk)
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
    files = [named(png_bytes(seed=n) + b"\0" * (900 * 1024), f"part{n}.png") for n in range(3)]  # each under 1 MiB

    response = client_as("curator").post("/api/curation/uploads/", {"files": files}, format="multipart")

    assert response.status_code == 413 and "CBIR_MAX_UPLOAD_BYTES" in response.json()["error"]
    assert Image.objects.count() == 0


def test_an_upload_whose_files_are_all_refused_leaves_no_new_dataset(client_as):
    from ingest.models import Dataset

    response = client_as("curator").post("/api/curation/uploads/", {"files": [named(b"not an image", "z.png")],
                                                                     "dataset": "brand-new"}, format="multipart")

    assert response.status_code == 201 and response.json()[0]["status"] == "refused"
    assert not Dataset.objects.filter(name="brand-new").exists()
