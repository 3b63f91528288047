"""manage.py dicom_scp's receiver: real dcmtk / pynetdicom clients against the SCP on loopback."""
from __future__ import annotations

import io
import subprocess
import threading
from pathlib import Path

import pydicom
import pytest
from pynetdicom import AE
from pynetdicom.sop_class import CTImageStorage

from ingest.models import Image, Rejection
from ingest.dicom_scp import start_scp
from ingest.pseudonyms import pseudonymize, remap_uid
from ingest.storage import media_path
from tests.ingest.dicom_network import echoscu, free_port, storescu, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services,
              pytest.mark.usefixtures("dcmtk")]


class BatchRecorder:
    """Stands in for the embedding hand-off and remembers each association's batch."""

    def __init__(self):
        self.batches: list[list[int]] = []
        self.event = threading.Event()

    def __call__(self, image_ids):
        self.batches.append(list(image_ids))
        self.event.set()


@pytest.fixture
def recorder():
    return BatchRecorder()


@pytest.fixture
def scp_port(recorder):
    port = free_port()
    server = start_scp(host="127.0.0.1", port=port, ae_title="CBIR", dataset_name="scp-tests",
                       on_batch_stored=recorder)
    yield port
    server.shutdown()


def sample(datasets_dir: Path, relative: str) -> Path:
    return datasets_dir / "dicom_samples" / relative


def stored_dataset(image: Image) -> pydicom.Dataset:
    return pydicom.dcmread(media_path(image.dicom_path))


def test_echoscu_gets_a_success_answer(scp_port):
    result = echoscu(scp_port)

    assert result.returncode == 0, result.stderr


def test_storescu_files_arrive_anonymized_and_batched_for_embedding(scp_port, recorder, datasets_dir):
    files = [sample(datasets_dir, "pydicom/CT_small.dcm"), sample(datasets_dir, "pydicom/MR_small.dcm")]
    originals = [pydicom.dcmread(path) for path in files]

    result = storescu(scp_port, *files)

    assert result.returncode == 0, result.stderr
    images = list(Image.objects.order_by("pk"))
    assert [image.sop_uid for image in images] == [remap_uid(ds.SOPInstanceUID) for ds in originals]
    for image, original in zip(images, originals):
        stored = stored_dataset(image)
        assert stored.PatientID == pseudonymize("pt", original.PatientID) == image.study.patient_pseudonym
        assert stored.PatientIdentityRemoved == "YES" and image.status == Image.Status.READY
        assert str(original.PatientName) not in media_path(image.dicom_path).read_text(errors="ignore")
    assert recorder.event.wait(10) and recorder.batches == [[image.pk for image in images]]


@pytest.mark.parametrize("relative, flag", [
    ("pydicom-data/693_J2KR.dcm", "-xv"),  # JPEG 2000 lossless
    ("pydicom/MR_small_RLE.dcm", "-xr"),  # RLE
    ("pydicom-data/bad_sequence.dcm", "-xs"),  # JPEG lossless SV1
    ("deid-data/ctbrain1.dcm", "-xy"),  # JPEG baseline
])
def test_compressed_transfer_syntaxes_are_accepted_and_decoded(scp_port, datasets_dir, relative, flag):
    result = storescu(scp_port, sample(datasets_dir, relative), flags=(flag,))

    assert result.returncode == 0, result.stderr
    image = Image.objects.get()
    assert image.width > 0 and media_path(image.pixels_path).is_file()
    assert stored_dataset(image).file_meta.TransferSyntaxUID == pydicom.dcmread(sample(datasets_dir, relative)).file_meta.TransferSyntaxUID


def test_resending_an_instance_stores_it_once(scp_port, datasets_dir):
    path = sample(datasets_dir, "pydicom/CT_small.dcm")

    first, second = storescu(scp_port, path), storescu(scp_port, path)

    assert first.returncode == second.returncode == 0
    assert Image.objects.count() == 1


def test_ultrasound_is_stored_quarantined_and_not_batched(scp_port, recorder, datasets_dir):
    result = storescu(scp_port, sample(datasets_dir, "pydicom-data/US1_UNCR.dcm"))

    assert result.returncode == 0, result.stderr
    image = Image.objects.get()
    assert image.status == Image.Status.QUARANTINED and "US" in image.status_reason
    assert not recorder.event.wait(0.5)


def test_non_image_sop_class_is_refused_with_a_reason_and_recorded(scp_port, datasets_dir):
    result = storescu(scp_port, sample(datasets_dir, "pydicom/rtplan.dcm"))

    assert result.returncode != 0  # storescu exits non-zero on a failure status
    rejection = Rejection.objects.get()
    assert rejection.channel == "dicom-scp" and rejection.detail["status"] == "0x0122"
    assert Image.objects.count() == 0 and echoscu(scp_port).returncode == 0


def send_raw_file(port: int, path: Path, monkeypatch) -> pydicom.Dataset:
    """C-STORE a file's data set bytes exactly as they are, without pynetdicom decoding them."""
    import pynetdicom

    monkeypatch.setattr(pynetdicom._config, "STORE_SEND_CHUNKED_DATASET", True)
    ae = AE(ae_title="TESTSCU")
    ae.add_requested_context(CTImageStorage, pydicom.uid.ExplicitVRLittleEndian)
    association = ae.associate("127.0.0.1", port, ae_title="CBIR")
    assert association.is_established
    try:
        return association.send_c_store(path)
    finally:
        association.release()


def file_with_body(tmp_path: Path, body: bytes) -> Path:
    meta = pydicom.dataset.FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    buffer = io.BytesIO()
    pydicom.filewriter.write_file_meta_info(buffer, meta, enforce_standard=True)
    path = tmp_path / "sent.dcm"
    path.write_bytes(b"\0" * 128 + b"DICM" + buffer.getvalue() + body)
    return path


def truncated_ct(datasets_dir: Path) -> bytes:
    from pynetdicom.dsutils import split_dataset

    path = sample(datasets_dir, "pydicom/CT_small.dcm")
    _, offset = split_dataset(path)
    body = path.read_bytes()[offset:]
    return body[: len(body) // 2]  # cut inside the pixel data


@pytest.mark.parametrize("make_body", [
    pytest.param(lambda _: b"this is not a DICOM data set at all, just text" * 20, id="non-dicom"),
    pytest.param(truncated_ct, id="truncated-ct"),
])
def test_undecodable_data_sets_are_refused_and_the_scp_keeps_running(scp_port, tmp_path, datasets_dir, monkeypatch,
                                                                     make_body):
    status = send_raw_file(scp_port, file_with_body(tmp_path, make_body(datasets_dir)), monkeypatch)

    assert status.Status == 0xC000 and status.ErrorComment
    assert Rejection.objects.get().detail["status"] == "0xC000"
    assert Image.objects.count() == 0 and not [p for p in media_path("").rglob("*") if p.is_file()]
    assert echoscu(scp_port).returncode == 0


def test_a_data_set_of_another_sop_class_than_negotiated_is_refused(scp_port, tmp_path, datasets_dir, monkeypatch):
    from pynetdicom.dsutils import split_dataset

    mr = sample(datasets_dir, "pydicom/MR_small.dcm")  # sent under the CT context below
    _, offset = split_dataset(mr)

    status = send_raw_file(scp_port, file_with_body(tmp_path, mr.read_bytes()[offset:]), monkeypatch)

    assert status.Status == 0xA900
    assert Rejection.objects.get().detail["status"] == "0xA900" and Image.objects.count() == 0


def test_images_stored_over_dicom_are_embedded_and_indexed(datasets_dir, settings):
    from browser.models import IndexVersion

    port = free_port()
    server = start_scp(host="127.0.0.1", port=port, dataset_name="scp-embed")
    try:
        result = storescu(port, sample(datasets_dir, "pydicom/CT_small.dcm"), sample(datasets_dir, "pydicom/MR_small.dcm"),
                          sample(datasets_dir, "pydicom-data/US1_UNCR.dcm"))
        # embedding runs on the SCP's background thread; a busy CI machine can take a while
        index = wait_until(lambda: IndexVersion.objects.filter(status="ready").first(), timeout=120)
    finally:
        server.shutdown()

    assert result.returncode == 0, result.stderr
    assert index.vector_count == 2
    assert not Image.objects.filter(status=Image.Status.QUARANTINED, embeddings__isnull=False).exists()


def test_stopping_does_not_wait_forever_for_a_silent_peer():
    import socket
    import time

    from ingest.dicom_scp import stop_scp

    port = free_port()
    server = start_scp(host="127.0.0.1", port=port, dataset_name="scp-stop", on_batch_stored=lambda ids: None)
    silent = socket.create_connection(("127.0.0.1", port))  # connects, never sends an A-ASSOCIATE-RQ
    try:
        wait_until(lambda: len(server.ae.active_associations) == 1, timeout=10)
        started = time.monotonic()
        stop_scp(server, grace_seconds=1.0)
        elapsed = time.monotonic() - started
    finally:
        silent.close()

    assert elapsed < 10
    assert echoscu(port).returncode != 0  # no longer accepting


def test_a_retired_ultrasound_class_is_negotiated_and_stored_quarantined(scp_port, datasets_dir):
    result = storescu(scp_port, sample(datasets_dir, "pydicom-data/color-pl.dcm"), flags=("-R",))

    assert result.returncode == 0, result.stderr
    assert Image.objects.get().status == Image.Status.QUARANTINED


def test_an_association_for_another_ae_title_is_rejected(scp_port, datasets_dir):
    result = subprocess.run(["storescu", "-aet", "TESTSCU", "-aec", "NOT_CBIR", "127.0.0.1", str(scp_port),
                             str(sample(datasets_dir, "pydicom/CT_small.dcm"))], capture_output=True, text=True,
                            timeout=60)

    assert result.returncode != 0 and "Called AE Title Not Recognized" in result.stderr + result.stdout
    assert Image.objects.count() == 0


def test_an_instance_over_the_size_limit_gets_out_of_resources(scp_port, datasets_dir, settings):
    settings.MAX_UPLOAD_BYTES = 1000

    result = storescu(scp_port, sample(datasets_dir, "pydicom/CT_small.dcm"), flags=("-v",))

    assert "Refused: OutOfResources" in result.stderr + result.stdout and Image.objects.count() == 0


@pytest.mark.parametrize("sop_class_uid", ["1.2.840.10008.5.1.4.1.1.1.3",  # digital intra-oral X-ray
                                           "1.2.840.10008.5.1.4.1.1.13.1.3",  # breast tomosynthesis
                                           "1.2.840.10008.5.1.4.1.1.2.2"])  # legacy converted enhanced CT
def test_newer_image_classes_are_archived(scp_port, datasets_dir, sop_class_uid):
    dataset = pydicom.dcmread(sample(datasets_dir, "pydicom/CT_small.dcm"))
    dataset.SOPClassUID = dataset.file_meta.MediaStorageSOPClassUID = sop_class_uid
    ae = AE(ae_title="TESTSCU")
    ae.add_requested_context(sop_class_uid, pydicom.uid.ExplicitVRLittleEndian)
    association = ae.associate("127.0.0.1", scp_port, ae_title="CBIR")
    assert association.is_established
    status = association.send_c_store(dataset)
    association.release()

    assert status.Status == 0x0000 and Image.objects.count() == 1


def test_only_listed_senders_may_store_when_a_list_is_configured(datasets_dir, settings, recorder):
    settings.DICOM_CALLING_AETS = ["MODALITY1"]
    port = free_port()
    server = start_scp(host="127.0.0.1", port=port, ae_title="CBIR", dataset_name="scp-tests", on_batch_stored=recorder)
    try:
        refused = storescu(port, sample(datasets_dir, "pydicom/CT_small.dcm"))  # calls itself TESTSCU
        allowed = subprocess.run(["storescu", "-aet", "MODALITY1", "-aec", "CBIR", "127.0.0.1", str(port),
                                  str(sample(datasets_dir, "pydicom/CT_small.dcm"))], capture_output=True, text=True,
                                 timeout=60)
    finally:
        server.shutdown()

    assert refused.returncode != 0 and "Calling AE Title Not Recognized" in refused.stderr + refused.stdout
    assert allowed.returncode == 0 and Image.objects.count() == 1
