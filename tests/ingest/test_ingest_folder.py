"""manage.py ingest_folder and the folder service: labels, idempotency, bad files."""
import csv
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from ingest.folders import ingest_folder
from ingest.models import Image, Rejection, Series, Study
from ingest.pseudonyms import pseudonymize
from ingest.services import get_or_create_dataset
from tests.browser.conftest import write_subset_labels

pytestmark = pytest.mark.django_db


def media_files(settings) -> list[Path]:
    return sorted(path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())


def test_ingest_folder_stores_labelled_images_with_metadata(datasets_dir, tmp_path):
    labels = write_subset_labels(datasets_dir, "covid_ct", 4, tmp_path / "labels.csv")

    report = ingest_folder(root=datasets_dir / "covid_ct", dataset=get_or_create_dataset("covid_ct"), labels_csv=labels)

    assert len(report.created_ids) == 8 and not report.skipped
    assert set(Image.objects.values_list("label", flat=True)) == {"COVID", "NonCOVID"}
    image = Image.objects.get(pk=report.created_ids[0])
    assert image.modality == "CT" and image.body_part == "CHEST" and image.width > 0


def test_images_of_one_patient_share_a_study_under_a_pseudonym(datasets_dir, tmp_path):
    labels = write_subset_labels(datasets_dir, "covid_ct", 6, tmp_path / "labels.csv")

    ingest_folder(root=datasets_dir / "covid_ct", dataset=get_or_create_dataset("covid_ct"), labels_csv=labels)

    with open(labels, newline="", encoding="utf-8") as handle:
        source_patients = {row["patient_id"] for row in csv.DictReader(handle)}
    patients = set(Study.objects.values_list("patient_pseudonym", flat=True))
    assert len(source_patients) > 1 and len(source_patients) < Image.objects.count()  # a real grouping to check
    assert patients == {pseudonymize("pt", patient) for patient in source_patients}
    assert Study.objects.count() == len(source_patients)


def test_reingesting_a_folder_creates_no_duplicates(datasets_dir, tmp_path):
    labels = write_subset_labels(datasets_dir, "brain_tumor_mri", 3, tmp_path / "labels.csv")
    dataset = get_or_create_dataset("brain")
    first = ingest_folder(root=datasets_dir / "brain_tumor_mri", dataset=dataset, labels_csv=labels)

    second = ingest_folder(root=datasets_dir / "brain_tumor_mri", dataset=dataset, labels_csv=labels)

    assert len(second.created_ids) == 0 and sorted(second.existing_ids) == sorted(first.created_ids)
    assert Image.objects.count() == 12 and Series.objects.count() == Study.objects.count()


def test_unreadable_files_are_reported_with_reason_and_leave_nothing(tmp_path, settings):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "notes.png").write_bytes(b"plain text pretending to be a PNG")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
    (folder / "truncated.dcm").write_bytes(b"\0" * 128 + b"DICM\x02\x00")

    report = ingest_folder(root=folder, dataset=get_or_create_dataset("mixed"))

    reasons = dict(report.skipped)
    assert set(reasons) == {"notes.png", "broken.png", "truncated.dcm"}
    assert "not a PNG, JPEG or DICOM" in reasons["notes.png"] and "decode" in reasons["broken.png"]
    assert Image.objects.count() == 0 and media_files(settings) == []
    rejections = list(Rejection.objects.filter(channel="folder"))
    assert len(rejections) == 3 and not any("notes.png" in r.reason + str(r.detail) for r in rejections)


def test_a_missing_file_is_reported_on_the_console_but_its_path_is_not_stored(tmp_path):
    folder = tmp_path / "archive"
    (folder / "DOE_JOHN_MRN5566").mkdir(parents=True)
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\nDOE_JOHN_MRN5566/scan1.png,glioma\nDOE_JOHN_MRN5566,glioma\n")

    report = ingest_folder(root=folder, dataset=get_or_create_dataset("archive"), labels_csv=labels)

    assert [relative for relative, _ in report.skipped] == ["DOE_JOHN_MRN5566", "DOE_JOHN_MRN5566/scan1.png"]
    stored = [rejection.reason + str(rejection.detail) for rejection in Rejection.objects.filter(channel="folder")]
    assert len(stored) == 2 and not any("DOE" in text or "5566" in text for text in stored)
    assert any("FileNotFoundError" in text for text in stored)


def test_a_failure_while_saving_removes_the_files_already_written(tmp_path, settings, monkeypatch):
    from ingest import services
    from tests.factories import png_bytes

    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "create_image", fail)

    with pytest.raises(RuntimeError):
        services.ingest_image_bytes(data=png_bytes(seed=5), dataset=get_or_create_dataset("x"))

    assert Image.objects.count() == 0 and Study.objects.count() == 0 and media_files(settings) == []


def test_ingest_folder_command_reports_counts_and_skips(datasets_dir, tmp_path, capsys):
    folder = tmp_path / "few"
    folder.mkdir()
    for source in sorted((datasets_dir / "covid_ct" / "images" / "COVID").glob("*.png"))[:3]:
        shutil.copy(source, folder / source.name)
    (folder / "junk.jpg").write_bytes(b"junk")

    call_command("ingest_folder", str(folder), "--dataset", "few", "--no-embed")

    output = capsys.readouterr()
    assert "3 stored, 0 already present, 1 skipped" in output.out
    assert "skipped junk.jpg" in output.err


def test_ingest_folder_command_embeds_and_indexes_by_default(datasets_dir, tmp_path):
    from browser.models import IndexVersion

    labels = write_subset_labels(datasets_dir, "brain_tumor_mri", 2, tmp_path / "labels.csv")

    call_command("ingest_folder", str(datasets_dir / "brain_tumor_mri"), "--labels", str(labels))

    index = IndexVersion.objects.get(status="ready")
    assert index.vector_count == 8
