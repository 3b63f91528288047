"""The labelled-dataset CSV of ../shared/datasets: file,label,... -> per-file records."""
from __future__ import annotations

import csv
from pathlib import Path

from ingest.errors import IngestError

# Columns that describe the file or could re-identify the patient; never stored.
DROPPED_COLUMNS = {"file", "original_file", "width", "height", "original_width", "original_height",
                   "row_in_source_metadata", "url", "date", "location", "patient_id"}
NOTE_COLUMNS = ("clinical_notes", "other_notes", "caption", "severity", "medical_history", "diagnosis", "finding")
UNLABELLED = {"", "todo"}


def read_labels_csv(path: Path) -> dict[str, dict[str, str]]:
    """Relative file path -> row; raises IngestError when the CSV has no `file` column."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "file" not in reader.fieldnames:
            raise IngestError(f"{path}: a labels CSV needs a 'file' column")
        return {row["file"].strip(): row for row in reader if row.get("file")}


def label_fields(row: dict[str, str]) -> dict:
    """The ImageRecord fields a labels row provides (patient id comes back separately)."""
    label = (row.get("label") or "").strip()
    findings = [part.strip() for part in (row.get("finding") or "").split(",") if part.strip()]
    notes = "\n".join(f"{column}: {row[column].strip()}" for column in NOTE_COLUMNS if (row.get(column) or "").strip())
    metadata = {key: value.strip() for key, value in row.items()
                if key not in DROPPED_COLUMNS and key not in ("label", "modality", "body_part", "sex", "age")
                and value is not None and value.strip()}
    return {
        "label": "" if label.lower() == "todo" else label,
        "labels": sorted({label, *findings} - UNLABELLED) if label.lower() != "todo" else findings,
        "modality": normalize_modality(row.get("modality", "")),
        "body_part": (row.get("body_part") or "").strip().upper(),
        "sex": (row.get("sex") or "").strip().upper()[:1] if (row.get("sex") or "").strip().upper()[:1] in ("M", "F") else "",
        "age_years": _age(row.get("age")),
        "notes": notes,
        "metadata": metadata,
    }


def normalize_modality(text: str | None) -> str:
    """Dataset words -> DICOM modality codes (X-ray -> CR, MRI -> MR)."""
    value = (text or "").strip()
    return {"X-RAY": "CR", "XRAY": "CR", "MRI": "MR"}.get(value.upper(), value.upper())


def _age(text: str | None) -> int | None:
    try:
        age = int(float(text))
    except (TypeError, ValueError):
        return None
    return age if 0 <= age < 130 else None
