"""The demo corpus: the labelled shared datasets when present, else the real DICOM
images that the installed pydicom package ships (nothing is downloaded)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from django.conf import settings

from ingest.folders import FolderReport, ingest_files, ingest_folder
from ingest.services import get_or_create_dataset

DEMO_DATASETS = ("covid_ct", "covid_chestxray", "brain_tumor_mri")
PACKAGED_CORPUS_NAME = "pydicom-samples"


@dataclass
class DemoCorpus:
    source: str  # where the images came from, for the README and the console
    reports: dict[str, FolderReport]

    @property
    def created_ids(self) -> list[int]:
        return [image_id for report in self.reports.values() for image_id in report.created_ids]


def ingest_demo_corpus(*, progress: Callable = lambda files, total: files) -> DemoCorpus:
    root = Path(settings.DATASETS_DIR)
    available = [name for name in DEMO_DATASETS if (root / name / "labels.csv").is_file()]
    if available:
        reports = {name: ingest_folder(root=root / name, dataset=get_or_create_dataset(name),
                                       labels_csv=root / name / "labels.csv", progress=progress)
                   for name in available}
        return DemoCorpus(source=f"labelled datasets in {root}", reports=reports)
    return DemoCorpus(source="DICOM test images shipped with pydicom", reports={
        PACKAGED_CORPUS_NAME: ingest_packaged_dicom(progress=progress)})


def ingest_packaged_dicom(*, progress: Callable) -> FolderReport:
    from pydicom.data import get_testdata_files

    paths = sorted(Path(path) for path in get_testdata_files("*.dcm"))
    root = Path(os.path.commonpath(paths)) if paths else Path(".")
    return ingest_files(files=paths, root=root, dataset=get_or_create_dataset(PACKAGED_CORPUS_NAME), progress=progress)
