"""Browser test setup: a small real repository (brain MRI slices) embedded and indexed."""
import csv
from pathlib import Path

import pytest


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
