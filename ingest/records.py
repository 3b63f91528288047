"""Plain records the parsers return and the services store (no ORM, no raw identity)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np


@dataclass
class ImageRecord:
    """One decoded image plus its de-identified descriptive metadata.

    UIDs are already remapped and `patient_pseudonym` already keyed-hashed by the
    time a record leaves the parser layer; raw identifiers never enter a record.
    """

    pixels: np.ndarray  # uint8 (H, W): the representative frame, display-ready
    source_format: str  # png, jpeg, dicom
    frame_count: int = 1
    study_uid: str = ""
    series_uid: str = ""
    sop_uid: str = ""
    accession_number: str = ""
    patient_pseudonym: str = ""
    study_date: date | None = None
    study_description: str = ""
    series_description: str = ""
    series_number: int | None = None
    instance_number: int | None = None
    modality: str = ""
    body_part: str = ""
    sex: str = ""
    age_years: int | None = None
    label: str = ""
    labels: list[str] = field(default_factory=list)
    notes: str = ""
    metadata: dict = field(default_factory=dict)
