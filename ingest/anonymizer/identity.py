"""What the anonymizer needs to know about the patient before it forgets them."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pydicom

from ingest.deidentify import date_shift_days
from ingest.pseudonyms import pseudonymize

# The accession pseudonym is cut to fit the DICOM file's SH value (16 characters).
ACCESSION_MAX_LENGTH = 16
IDENTIFIER_KEYWORDS = ("PatientID", "OtherPatientIDs", "AccessionNumber", "StudyID", "InstitutionName",
                       "IssuerOfPatientID", "PatientBirthDate", "MedicalRecordLocator", "PatientAddress",
                       "PatientTelephoneNumbers", "PatientTelecomInformation", "InstitutionAddress",
                       "AdmissionID", "RequestedProcedureID", "PlacerOrderNumberImagingServiceRequest",
                       "FillerOrderNumberImagingServiceRequest", "PerformedProcedureStepID",
                       "ScheduledProcedureStepID", "StationName")


@dataclass(frozen=True)
class PatientIdentity:
    """Pseudonyms and the date shift of one object's patient; `identifiers` stay in memory only."""

    patient_pseudonym: str
    accession_pseudonym: str
    date_shift: timedelta
    identifiers: tuple[str, ...]


def date_shift_for_patient(patient_pseudonym: str) -> timedelta:
    """The keyed per-patient shift, the very one the HL7 and FHIR paths apply to the same patient."""
    return timedelta(days=-date_shift_days(patient_pseudonym))


def patient_key(dataset: pydicom.Dataset) -> str:
    """The patient id; without one the name, then the study, then the instance (its own 'patient').

    Never a key shared by unrelated objects: an empty fallback would merge their patients and give them
    one date shift."""
    patient_id = str(dataset.get("PatientID", "") or "").strip()
    if patient_id:
        return patient_id
    name = str(dataset.get("PatientName", "") or "").strip()
    if name:
        return f"name:{name}"
    for keyword, prefix in (("StudyInstanceUID", "study"), ("SOPInstanceUID", "instance")):
        uid = str(dataset.get(keyword, "") or "").strip()
        if uid:
            return f"{prefix}:{uid}"
    return f"unknown:{uuid.uuid4()}"


def read_identity(dataset: pydicom.Dataset) -> PatientIdentity:
    pseudonym = pseudonymize("pt", patient_key(dataset))
    accession = str(dataset.get("AccessionNumber", "") or "").strip()
    return PatientIdentity(
        patient_pseudonym=pseudonym,
        accession_pseudonym=pseudonymize("acc", accession),
        date_shift=date_shift_for_patient(pseudonym),
        identifiers=collect_identifiers(dataset),
    )


def collect_identifiers(dataset: pydicom.Dataset) -> tuple[str, ...]:
    """Every name part and identifier in the object, longest first, to cut out of free text."""
    found: set[str] = set()
    for element in dataset.iterall():
        if element.VR == "PN" and element.value:
            for name in element.value if element.VM > 1 else [element.value]:
                found.update(part for part in _name_parts(str(name)) if len(part) >= 2)
        elif element.keyword in IDENTIFIER_KEYWORDS and element.value:
            values = element.value if element.VM > 1 else [element.value]
            found.update(str(value).strip() for value in values if len(str(value).strip()) >= 2)
    return tuple(sorted(found, key=len, reverse=True))


def _name_parts(name: str) -> list[str]:
    parts = [name.strip()]
    for component in name.replace("=", "^").split("^"):
        parts.append(component.strip())
        parts.extend(component.split())
    return [part for part in parts if part]


AGE_STRING = re.compile(r"\d{3}[DWMY]")  # the AS value representation: 045Y, 003M


def patient_age(dataset: pydicom.Dataset) -> str:
    """PatientAge as given, else computed from birth and study date ('' when unknown)."""
    given = str(dataset.get("PatientAge", "") or "").strip()
    if AGE_STRING.fullmatch(given):  # anything else in the element is free text that may name someone
        return given
    born = _date(dataset.get("PatientBirthDate"))
    seen = next((d for d in map(_date, _study_dates(dataset)) if d), None)
    if not born or not seen or seen < born:
        return ""
    return format_age(born, seen)


def _study_dates(dataset: pydicom.Dataset) -> list:
    return [dataset.get(keyword) for keyword in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate")]


def format_age(born: date, seen: date) -> str:
    """DICOM AS: years, or months / days for the very young."""
    years = seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day))
    if years >= 2:
        return f"{min(years, 999):03d}Y"
    months = (seen.year - born.year) * 12 + seen.month - born.month - (seen.day < born.day)
    if months >= 1:
        return f"{months:03d}M"
    return f"{(seen - born).days:03d}D"


def _date(value) -> date | None:
    text = str(value or "").strip()
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except (ValueError, IndexError):
        return None
