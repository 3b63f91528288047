"""Browser test setup: a small real repository (brain MRI slices) embedded and indexed; a real PACS (Orthanc)."""
import csv
from pathlib import Path

import pytest
from django.conf import settings


def write_subset_labels(datasets_dir: Path, dataset: str, per_label: int, out: Path) -> Path:
    """A labels CSV naming the first `per_label` images of each class of a shared dataset."""
    with open(datasets_dir / dataset / "labels.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    chosen, counts = [], {}
    for row in rows:
        if counts.get(row["label"], 0) < per_label:
            counts[row["label"]] = counts.get(row["label"], 0) + 1
            chosen.append(row)
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(chosen)
    return out


@pytest.fixture
def brain_repository(db, datasets_dir, tmp_path):
    """60 brain MRI images (15 per class) ingested, embedded with the baseline and indexed."""
    from embeddings.services import embed_and_index_new_images
    from ingest.folders import ingest_folder
    from ingest.services import get_or_create_dataset

    labels = write_subset_labels(datasets_dir, "brain_tumor_mri", 15, tmp_path / "labels.csv")
    report = ingest_folder(root=datasets_dir / "brain_tumor_mri", dataset=get_or_create_dataset("brain_tumor_mri"),
                           labels_csv=labels)
    embed_and_index_new_images(image_ids=report.created_ids)
    return report.created_ids


# --- a real PACS: Orthanc on loopback, loaded with real DICOM (test_pacs_query.py and the UI tests) ---

SAMPLES = Path(settings.DATASETS_DIR) / "dicom_samples" / "pydicom"  # CBIR_DATASETS, like every other test
MR_SERIES = sorted((SAMPLES / "dicomdirtests/98892003/MR700").iterdir())  # 7 slices of one MR series
CT_SERIES = sorted((SAMPLES / "dicomdirtests/98892001/CT5N").iterdir())  # 5 slices of one CT series
SINGLES = [SAMPLES / "CT_small.dcm", SAMPLES / "MR_small.dcm"]


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory, datasets_dir):
    from tests.browser.servers import running_orthanc, upload_to_orthanc

    with running_orthanc(tmp_path_factory.mktemp("orthanc")) as base:
        for path in [*SINGLES, *MR_SERIES, *CT_SERIES]:
            upload_to_orthanc(base, path)
        yield base


@pytest.fixture
def pacs(orthanc, settings):
    from tests.browser.servers import ORTHANC_AUTH

    settings.PACS_DICOMWEB_URL = f"{orthanc}/dicom-web"
    settings.PACS_USERNAME, settings.PACS_PASSWORD = ORTHANC_AUTH
    return orthanc


@pytest.fixture
def mirrored_repository():
    """The same files ingested into our repository (de-identified), embedded with the baseline and indexed."""
    from embeddings.services import embed_and_index_new_images
    from ingest.services import get_or_create_dataset, ingest_image_file

    dataset = get_or_create_dataset("mirror")
    outcomes = {path: ingest_image_file(path=path, dataset=dataset) for path in [*SINGLES, *MR_SERIES, *CT_SERIES]}
    embed_and_index_new_images(image_ids=[outcome.image.pk for outcome in outcomes.values()])
    return {path: outcome.image for path, outcome in outcomes.items()}


def uids(path: Path) -> dict:
    """study_uid, series_uid and sop_uid of a DICOM file, as the search API takes them."""
    import pydicom

    dataset = pydicom.dcmread(path, stop_before_pixels=True)
    return {"study_uid": dataset.StudyInstanceUID, "series_uid": dataset.SeriesInstanceUID,
            "sop_uid": dataset.SOPInstanceUID}
