"""ingest_image_bytes on DICOM input: de-identified file kept, quarantine, idempotency, no half-writes."""
from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pydicom
import pytest
from django.core.management import call_command

from ingest import services
from ingest.folders import ingest_folder
from ingest.models import Image, Series, Study
from ingest.pseudonyms import pseudonymize, remap_uid
from ingest.services import get_or_create_dataset, ingest_image_bytes
from ingest.storage import media_path
from tests.factories import dicom_bytes

pytestmark = pytest.mark.django_db


def media_files(settings) -> list[Path]:
    return sorted(path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())


def ingest(data: bytes) -> Image:
    return ingest_image_bytes(data=data, dataset=get_or_create_dataset("dicom-tests")).image


def test_the_deidentified_dicom_object_is_stored_beside_the_png():
    image = ingest(dicom_bytes(PatientName="DOE^JANE", PatientID="PID-1", SOPInstanceUID="1.2.3.100"))

    stored = pydicom.dcmread(media_path(image.dicom_path))
    assert stored.SOPInstanceUID == image.sop_uid == remap_uid("1.2.3.100")
    assert stored.PatientName == pseudonymize("pt", "PID-1") and stored.PatientIdentityRemoved == "YES"
    assert media_path(image.pixels_path).is_file() and media_path(image.thumbnail_path).is_file()


def test_study_rows_hold_pseudonyms_shifted_dates_and_cleaned_descriptions():
    image = ingest(dicom_bytes(PatientName="DOE^JANE", PatientID="PID-2", AccessionNumber="ACC-9", StudyDate="20240102",
                               StudyDescription="CT chest DOE"))

    study = image.study
    assert study.patient_pseudonym == pseudonymize("pt", "PID-2")
    assert study.accession_number == pseudonymize("acc", "ACC-9")
    assert study.study_date is not None and study.study_date.isoformat() < "2024-01-02"
    assert study.description == "CT chest" and study.age_years == 54


def test_resending_a_sop_instance_with_other_bytes_is_a_no_op():
    first = ingest_image_bytes(data=dicom_bytes(SOPInstanceUID="1.2.3.200"), dataset=get_or_create_dataset("a"))

    again = ingest_image_bytes(data=dicom_bytes(SOPInstanceUID="1.2.3.200", StudyDescription="other bytes"),
                               dataset=get_or_create_dataset("a"))

    assert first.created and not again.created and again.image.pk == first.image.pk
    assert Image.objects.count() == 1


def test_burned_in_annotation_quarantines_the_image_with_its_reason():
    image = ingest(dicom_bytes(BurnedInAnnotation="YES"))

    assert image.status == Image.Status.QUARANTINED and "BurnedInAnnotation" in image.status_reason
    assert media_path(image.dicom_path).is_file()


def test_a_failure_while_saving_leaves_no_row_and_no_file(settings, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "create_image", fail)

    with pytest.raises(RuntimeError):
        ingest(dicom_bytes())

    assert Image.objects.count() == Series.objects.count() == Study.objects.count() == 0
    assert media_files(settings) == []


def test_a_failure_linking_reports_after_commit_keeps_the_stored_image_and_its_files(
        settings, monkeypatch, django_capture_on_commit_callbacks):
    from django.db import OperationalError

    def fail(study):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "link_reports_to_study", fail)

    with django_capture_on_commit_callbacks(execute=True):
        image = ingest(dicom_bytes())

    assert Image.objects.get().pk == image.pk
    assert media_path(image.pixels_path).is_file() and media_path(image.dicom_path).is_file()


def test_a_failed_insert_leaves_the_files_of_a_committed_image_with_the_same_content(settings, monkeypatch):
    stored = ingest(dicom_bytes())
    files = media_files(settings)

    def fail(*args, **kwargs):
        raise RuntimeError("a concurrent ingest of the same bytes failed late")

    monkeypatch.setattr(services, "create_image", fail)
    same_content = services.PreparedImage(services.parse_image_bytes(media_path(stored.pixels_path).read_bytes()))

    with pytest.raises(RuntimeError):  # its files are named by the same content hash as the stored image's
        services.store_record(same_content, dataset=get_or_create_dataset("dicom-tests"), digest=stored.content_hash)

    assert media_files(settings) == files and media_path(stored.pixels_path).is_file()


def test_a_failure_writing_the_dicom_file_removes_the_png_already_written(settings, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(services, "store_dicom_file", full_disk)

    with pytest.raises(OSError):
        ingest(dicom_bytes())

    assert Image.objects.count() == 0 and media_files(settings) == []


def manifest_patient_names(root: Path) -> set[str]:
    """The sample files' patient names long and specific enough to search a dump for."""
    with (root / "manifest.csv").open(newline="") as handle:
        names = {row["patient_name"].strip() for row in csv.DictReader(handle)}
    return {name for name in names if len(name) >= 6 and "anonym" not in name.lower()}


def test_ingest_folder_takes_the_shared_dicom_samples_through_the_anonymizer(datasets_dir, tmp_path):
    root = datasets_dir / "dicom_samples"
    folder = tmp_path / "samples"
    for name in ("pydicom", "deid-data"):
        shutil.copytree(root / name, folder / name)

    report = ingest_folder(root=folder, dataset=get_or_create_dataset("samples"))

    assert len(report.created_ids) >= 10
    assert "no pixel data" in dict(report.skipped)["pydicom/rtplan.dcm"]
    dump = io.StringIO()
    call_command("dumpdata", "ingest", stdout=dump)
    stored = dump.getvalue() + "".join(media_path(image.dicom_path).read_bytes().decode("latin-1")
                                       for image in Image.objects.all())
    assert [name for name in manifest_patient_names(root) if name in stored] == []
    assert all(pydicom.dcmread(media_path(image.dicom_path)).PatientIdentityRemoved == "YES"
               for image in Image.objects.all())
