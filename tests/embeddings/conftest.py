"""Shared setup of the embeddings tests: tiny labelled dataset folders written to tmp_path."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from embeddings.encoders.base import TrainingData


def two_class_image(label: str, rng: np.random.Generator, size: int = 24) -> np.ndarray:
    """'square': noise with a bright centre square; 'stripes': noise with dark horizontal stripes."""
    pixels = (rng.random((size, size + 4)) * 80 + 40).astype(np.uint8)
    if label == "square":
        pixels[size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 230
    else:
        pixels[::4] = 5
    return pixels


def write_labelled_folder(folder: Path, rows: list[dict], *, columns: list[str] | None = None) -> Path:
    """rows: {"file", "label", ..., "pixels"}; writes the PNGs and labels.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    columns = columns or ["file", "label", "patient_id"]
    with open(folder / "labels.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            (folder / row["file"]).parent.mkdir(parents=True, exist_ok=True)
            PILImage.fromarray(row["pixels"]).save(folder / row["file"])
            writer.writerow(row)
    return folder


def two_class_rows(count: int = 16, *, seed: int = 0, images_per_patient: int = 2) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(count):
        label = ("square", "stripes")[index % 2]
        patient = index // (2 * images_per_patient) * 2 + index % 2  # same-label images share a patient
        rows.append({"file": f"images/{label}/{index}.png", "label": label, "patient_id": f"p{patient}",
                     "modality": "MRI" if label == "square" else "CT", "pixels": two_class_image(label, rng)})
    return rows


def two_class_data(count: int, seed: int) -> TrainingData:
    """two_class_rows as the plain TrainingData an encoder's fit() takes."""
    rows = two_class_rows(count, seed=seed)
    return TrainingData([row["pixels"] for row in rows], [row["label"] for row in rows],
                        [row["patient_id"] for row in rows])


@pytest.fixture
def two_class_folder(tmp_path) -> Path:
    """16 images of two visually different classes, two images per patient."""
    return write_labelled_folder(tmp_path / "two_class", two_class_rows(),
                                 columns=["file", "label", "patient_id", "modality"])


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """The CPU is shared: two spinning OpenMP threads per process are many times slower than one."""
    import torch

    torch.set_num_threads(1)
