"""The labelled-dataset CSV of ../shared/datasets: file,label,... -> per-file records."""
from __future__ import annotations

import csv
from pathlib import Path

from ingest.deidentify import identifier_terms, scrub_free_text
from ingest.errors import IngestError

# The only other columns kept as metadata: clinical facts and attribution. A column not listed (a file
# name, a source row, a date, a place, a patient or group id, or anything an archive adds) is never
# stored, because a deny-list cannot know what a new archive's columns hold.
KEPT_COLUMNS = (
    "diagnosis", "finding", "view", "official_split", "offset", "time", "severity", "medical_history",
    "other_diseases", "survival", "intubated", "intubation_present", "went_icu", "in_icu",
    "needed_supplemental_O2", "extubated", "temperature", "pO2_saturation", "leukocyte_count",
    "neutrophil_count", "lymphocyte_count", "clinical_notes", "other_notes", "caption", "doi", "license", "source",
)
NOTE_COLUMNS = ("clinical_notes", "other_notes", "caption", "severity", "medical_history", "diagnosis", "finding")
# The row's own identifiers, cut out of its free text (split_group is a patient id in covid_chestxray).
IDENTIFYING_COLUMNS = ("patient_id", "split_group", "original_file", "file", "url", "location", "date")
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
    kept = kept_values(row)
    notes = "\n".join(f"{column}: {kept[column]}" for column in NOTE_COLUMNS if column in kept)
    return {
        "label": "" if label.lower() == "todo" else label,
        "labels": sorted({label, *findings} - UNLABELLED) if label.lower() != "todo" else findings,
        "modality": normalize_modality(row.get("modality", "")),
        "body_part": (row.get("body_part") or "").strip().upper(),
        "sex": (row.get("sex") or "").strip().upper()[:1] if (row.get("sex") or "").strip().upper()[:1] in ("M", "F") else "",
        "age_years": _age(row.get("age")),
        "notes": notes,
        "metadata": kept,
    }


def kept_values(row: dict[str, str]) -> dict[str, str]:
    """The KEPT_COLUMNS of a row, with the row's identifiers and any calendar dates cut out of the text."""
    terms = identifier_terms(row.get(column) or "" for column in IDENTIFYING_COLUMNS)
    kept = {column: scrub_free_text((row.get(column) or "").strip(), terms) for column in KEPT_COLUMNS}
    return {column: value for column, value in kept.items() if value}


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
