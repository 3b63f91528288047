"""Labelled-dataset folders (a labels.csv with `file` and `label` columns) read as plain records."""
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image as PILImage

from embeddings.errors import DatasetError

UNLABELLED = {"", "todo"}
# Columns that tie images of one patient together. split_group first: where present (covid_chestxray)
# it merges patients who share a near-identical image, so it is the safer unit of a split.
GROUP_COLUMNS = ("split_group", "patient_id", "dup_group")


@dataclass
class LabelledImages:
    """Image files with their label and patient group; pixels are read on demand."""

    paths: list[Path] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # "" when empty or `todo`
    groups: list[str] = field(default_factory=list)  # "<folder>:<patient>" so folders never share a group

    def __len__(self) -> int:
        return len(self.paths)

    def subset(self, indices: Sequence[int]) -> "LabelledImages":
        return LabelledImages([self.paths[i] for i in indices], [self.labels[i] for i in indices],
                              [self.groups[i] for i in indices])

    def labelled(self) -> "LabelledImages":
        return self.subset([i for i, label in enumerate(self.labels) if label])

    def load_pixels(self) -> list[np.ndarray]:
        return [read_gray(path) for path in self.paths]


def read_gray(path: Path) -> np.ndarray:
    try:
        with PILImage.open(path) as image:
            return np.asarray(image.convert("L"), dtype=np.uint8)
    except (OSError, ValueError) as exc:  # missing, a folder, not an image, truncated
        raise DatasetError(f"cannot read image {path} listed in labels.csv ({type(exc).__name__})") from exc


def read_labelled_folders(folders: Sequence[Path | str], *, label_column: str = "label") -> LabelledImages:
    """All rows of the folders' labels.csv files; DatasetError when a folder, its CSV or the column is missing."""
    if not folders:
        raise DatasetError("no dataset folder given")
    combined = LabelledImages()
    for folder in map(Path, folders):
        part = _read_folder(folder, label_column)
        combined.paths += part.paths
        combined.labels += part.labels
        combined.groups += part.groups
    if not combined.paths:
        raise DatasetError(f"no images listed in {', '.join(map(str, folders))}")
    return combined


def _read_folder(folder: Path, label_column: str) -> LabelledImages:
    csv_path = folder / "labels.csv"
    if not folder.is_dir():
        raise DatasetError(f"dataset folder {folder} does not exist")
    if not csv_path.is_file():
        raise DatasetError(f"{folder} has no labels.csv (a CSV with 'file' and '{label_column}' columns)")
    with open(csv_path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        if "file" not in columns or label_column not in columns:
            raise DatasetError(f"{csv_path} needs 'file' and '{label_column}' columns; it has {columns}")
        rows = [row for row in reader if (row.get("file") or "").strip()]
    group_column = next((column for column in GROUP_COLUMNS if column in columns), None)
    images = LabelledImages()
    for row in rows:
        label = (row.get(label_column) or "").strip()
        group = (row.get(group_column) or "").strip() if group_column else ""
        images.paths.append(folder / row["file"].strip())  # an absolute `file` stays absolute
        images.labels.append("" if label.lower() in UNLABELLED else label)
        images.groups.append(f"{folder.name}:{group or row['file'].strip()}")
    return images


def sample_groups(images: LabelledImages, max_images: int | None, *, seed: int = 0) -> LabelledImages:
    """At most `max_images` images, taking whole patient groups in a seeded random order."""
    if max_images is None or len(images) <= max_images:
        return images
    by_group: dict[str, list[int]] = {}
    for index, group in enumerate(images.groups):
        by_group.setdefault(group, []).append(index)
    names = sorted(by_group)
    chosen: list[int] = []
    for position in np.random.default_rng(seed).permutation(len(names)):
        members = by_group[names[position]]
        if len(chosen) + len(members) <= max_images:
            chosen += members
        if len(chosen) >= max_images:
            break
    return images.subset(sorted(chosen))


def data_fingerprint(images: LabelledImages) -> str:
    """sha256 over file paths, sizes, labels and groups: equal fingerprints mean equal training data."""
    digest = hashlib.sha256()
    for path, label, group in sorted(zip(map(str, images.paths), images.labels, images.groups)):
        size = Path(path).stat().st_size if Path(path).exists() else -1
        digest.update(f"{path}\t{size}\t{label}\t{group}\n".encode())
    return digest.hexdigest()
