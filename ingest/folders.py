"""Walk a folder of images (optionally with a labels CSV) into the repository."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from cbir.errors import CbirError
from ingest.models import Dataset
from ingest.parsers.labels import read_labels_csv
from ingest.services import ingest_image_file, record_rejection

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".dcm", ".dicom", ""}
SKIPPED_NAMES = {"DICOMDIR", "labels.csv", "manifest.csv"}


@dataclass
class FolderReport:
    created_ids: list[int] = field(default_factory=list)
    existing_ids: list[int] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (relative path, reason)


def list_image_files(root: Path, labels: dict[str, dict] | None) -> list[Path]:
    """With a labels CSV, exactly its files; otherwise every candidate file below root."""
    if labels is not None:
        return [root / name for name in sorted(labels)]
    return sorted(path for path in _walk(root) if path.suffix.lower() in IMAGE_SUFFIXES)


def _walk(root: Path) -> Iterator[Path]:
    for path in root.rglob("*"):
        if path.is_file() and not path.name.startswith(".") and path.name not in SKIPPED_NAMES:
            yield path


Progress = Callable[[Iterator[Path], int], Iterator[Path]]


def ingest_folder(*, root: Path, dataset: Dataset, labels_csv: Path | None = None,
                  progress: Progress = lambda it, total: it) -> FolderReport:
    labels = read_labels_csv(labels_csv) if labels_csv else None
    return ingest_files(files=list_image_files(root, labels), root=root, dataset=dataset, labels=labels,
                        progress=progress)


def stored_reason(exc: Exception) -> str:
    """A rejection reason fit for the database: our own message, or the kind of I/O failure only."""
    if isinstance(exc, CbirError):
        return exc.message
    return f"cannot read the file ({type(exc).__name__}: {exc.strerror or 'I/O error'})"


def ingest_files(*, files: list[Path], root: Path, dataset: Dataset, labels: dict[str, dict] | None = None,
                 progress: Progress = lambda it, total: it) -> FolderReport:
    """Ingest each file (paths below `root`, which keys `labels`); a bad file refuses only itself."""
    report = FolderReport()
    for path in progress(iter(files), len(files)):
        relative = path.relative_to(root).as_posix()
        try:
            outcome = ingest_image_file(path=path, dataset=dataset, labels_row=labels.get(relative) if labels else None)
        except (CbirError, OSError) as exc:
            report.skipped.append((relative, getattr(exc, "message", str(exc))))
            # the file name stays on the operator's console: names of files (and the paths in an
            # OSError's text) can carry patient names, so the stored reason never includes them
            record_rejection(channel="folder", reason=stored_reason(exc), detail={"suffix": path.suffix.lower()})
            continue
        (report.created_ids if outcome.created else report.existing_ids).append(outcome.image.pk)
    return report
