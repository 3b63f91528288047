"""No identifier survives ingestion: markers planted in every PHI-bearing attribute of PS3.15
Annex E (also nested and private) are searched for in the database dump, the stored files, the
index, API responses and the logs, after ingesting through the service, STOW-RS and the SCP.
"""
from __future__ import annotations

import io
import itertools
import logging
from pathlib import Path

import pydicom
import pytest
from django.core.management import call_command
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from ingest.anonymizer.profile import CLEAN_DESCRIPTORS, PATIENT_CHARACTERISTICS, basic_profile
from ingest.models import Image
from ingest.services import get_or_create_dataset, ingest_image_bytes
from tests.factories import write_ct_dicom

TEXT_VRS = {"PN", "LO", "SH", "LT", "ST", "UT", "UC", "AE", "CS", "UR"}
BYTE_VRS = {"OB", "OW", "UN", "OB or OW"}
# Kept on purpose: Retain Patient Characteristics, the times of day (only dates move), and
# the attributes the object needs to stay an image.
NOT_PLANTED = set(PATIENT_CHARACTERISTICS) | {"SOPClassUID"}


class Markers:
    """Unique strings that must never come back, with the attribute each was planted in."""

    def __init__(self, prefix: str):
        self.prefix, self.planted, self._numbers = prefix, {}, itertools.count(1)

    def text(self, where: str) -> str:
        marker = f"ZQX{self.prefix}{next(self._numbers):04d}"
        self.planted[marker] = where
        return marker

    def uid(self, where: str) -> str:
        marker = f"1.2.999.{ord(self.prefix)}{next(self._numbers):06d}"
        self.planted[marker] = where
        return marker

    def date(self, where: str) -> str:
        # Even years two apart: a shift of 1..365 days never lands on another planted date.
        marker = f"{1700 + 2 * next(self._numbers):04d}0701"
        self.planted[marker] = where
        return marker

    def found_in(self, haystack: bytes | str) -> dict[str, str]:
        data = haystack if isinstance(haystack, bytes) else haystack.encode("utf-8", "replace")
        return {marker: where for marker, where in self.planted.items() if marker.encode() in data}


def plant(dataset: Dataset, tag: int, vr: str, markers: Markers) -> None:
    keyword = keyword_for_tag(tag) or f"{tag:08X}"
    if vr == "PN":
        dataset.add_new(tag, vr, f"{markers.text(keyword)}^{markers.text(keyword)}")
    elif vr in TEXT_VRS:
        dataset.add_new(tag, vr, markers.text(keyword))
    elif vr == "UI":
        dataset.add_new(tag, vr, markers.uid(keyword))
    elif vr in ("DA", "DT"):
        dataset.add_new(tag, vr, markers.date(keyword))
    elif vr in BYTE_VRS:
        dataset.add_new(tag, "OB", markers.text(keyword).encode() + b"\0" * 5)
    elif vr == "SQ":
        dataset.add_new(tag, vr, Sequence([nested_item(markers, keyword)]))


def nested_item(markers: Markers, where: str) -> Dataset:
    item = Dataset()
    item.PatientName = markers.text(f"{where} > PatientName")
    item.add_new(0x00081155, "UI", markers.uid(f"{where} > ReferencedSOPInstanceUID"))
    inner = Dataset()
    inner.PersonName = markers.text(f"{where} > > PersonName")
    inner.add_new(0x00091010, "LO", markers.text(f"{where} > > private"))
    item.ContentSequence = Sequence([inner])
    return item


def phi_laden_dicom(tmp_path: Path, markers: Markers, *, clean_descriptors: bool = True) -> bytes:
    """A real CT object with a marker in every Annex E attribute pydicom's dictionary knows.

    Descriptions that Clean Descriptors keeps hold the patient's name and id in free text instead.
    """
    dataset = pydicom.dcmread(write_ct_dicom(tmp_path / f"base-{markers.prefix}.dcm"))
    exact, masked = basic_profile()
    for tag in sorted(exact):
        if tag >> 16 in (0x0000, 0x0002) or keyword_for_tag(tag) in NOT_PLANTED:
            continue
        try:
            vr = dictionary_VR(tag)
        except KeyError:
            continue
        plant(dataset, tag, vr, markers)
    dataset.add_new(0x60003000, "OW", markers.text("OverlayData").encode() + b"\0" * 5)
    dataset.PatientID = markers.text("PatientID")
    if clean_descriptors:
        for keyword in CLEAN_DESCRIPTORS:
            markers.planted.pop(str(dataset.get(keyword, "")), None)
            setattr(dataset, keyword, f"head CT of {dataset.PatientName}, id {dataset.PatientID}")
    block = dataset.private_block(0x0011, "ACME PHI", create=True)
    block.add_new(0x01, "LO", markers.text("private LO"))
    block.add_new(0x02, "SQ", Sequence([nested_item(markers, "private SQ")]))
    dataset.BurnedInAnnotation = "NO"
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def everything_we_keep(settings, client) -> dict[str, bytes | str]:
    """The database dump, every stored file, and the image API's answers."""
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    places: dict[str, bytes | str] = {"dumpdata": dump.getvalue()}
    for root in (Path(settings.MEDIA_ROOT), Path(settings.INDEX_DIR)):
        for path in root.rglob("*"):
            if path.is_file():
                places[str(path)] = path.read_bytes()
    places["GET /api/images/"] = client.get("/api/images/").content
    for image in Image.objects.all():
        places[f"GET /api/images/{image.pk}/"] = client.get(f"/api/images/{image.pk}/").content
    return places


def leaks(markers: Markers, places: dict[str, bytes | str]) -> dict[str, dict[str, str]]:
    return {place: hits for place, content in places.items() if (hits := markers.found_in(content))}


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.mark.django_db
@pytest.mark.parametrize("clean_descriptors", [True, False])
def test_service_ingest_leaks_no_planted_identifier(tmp_path, settings, client, logs, clean_descriptors):
    settings.DICOM_CLEAN_DESCRIPTORS = clean_descriptors
    markers = Markers("S")
    data = phi_laden_dicom(tmp_path, markers, clean_descriptors=clean_descriptors)
    assert len(markers.planted) > 300  # the table really was planted

    outcome = ingest_image_bytes(data=data, dataset=get_or_create_dataset("phi"))

    assert outcome.created and outcome.image.dicom_path
    places = everything_we_keep(settings, client) | {"logs": logs.text}
    assert leaks(markers, places) == {}


@pytest.mark.django_db
def test_stow_rs_leaks_no_planted_identifier(tmp_path, settings, client, logs, django_capture_on_commit_callbacks):
    markers = Markers("W")
    body = (b"--b0undary\r\nContent-Type: application/dicom\r\n\r\n" + phi_laden_dicom(tmp_path, markers)
            + b"\r\n--b0undary--\r\n")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dicomweb/studies", data=body,
                               content_type='multipart/related; type="application/dicom"; boundary=b0undary')

    assert response.status_code == 200
    places = everything_we_keep(settings, client) | {"logs": logs.text, "STOW response": response.content}
    assert leaks(markers, places) == {}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("dcmtk")
def test_dicom_scp_leaks_no_planted_identifier(tmp_path, settings, client, logs):
    from ingest.dicom_scp import start_scp
    from tests.ingest.dicom_network import free_port, storescu

    markers = Markers("C")
    path = tmp_path / "phi.dcm"
    path.write_bytes(phi_laden_dicom(tmp_path, markers))
    port = free_port()
    server = start_scp(host="127.0.0.1", port=port, dataset_name="phi-scp", on_batch_stored=lambda ids: None)
    try:
        result = storescu(port, path)
    finally:
        server.shutdown()

    assert result.returncode == 0, result.stderr
    assert Image.objects.count() == 1
    places = everything_we_keep(settings, client) | {"logs": logs.text}
    assert leaks(markers, places) == {}
