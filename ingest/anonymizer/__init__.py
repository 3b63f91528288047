"""DICOM de-identification: PS3.15 Annex E Basic Profile with Retain Longitudinal Temporal
Information (Modified Dates), Retain Patient Characteristics and, if configured, Clean
Descriptors. Pure functions over pydicom Datasets; no ORM, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset

from ingest.anonymizer.actions import (clean_value, dummy_value, empty_value, remap_uid_value,
                                       shift_date_value)
from ingest.anonymizer.burned_in import burned_in_reason
from ingest.anonymizer.identity import (ACCESSION_MAX_LENGTH, PatientIdentity, date_shift_for_patient,
                                        patient_age, read_identity)
from ingest.anonymizer.profile import resolved_action

__all__ = ["AnonymizationPolicy", "AnonymizedDicom", "anonymize_dataset", "burned_in_reason",
           "date_shift_for_patient", "deidentify_elements"]

BASIC_PROFILE = ("113100", "Basic Application Confidentiality Profile")
CLEAN_DESCRIPTORS_OPTION = ("113105", "Clean Descriptors Option")
MODIFIED_DATES_OPTION = ("113107", "Retain Longitudinal Temporal Information Modified Dates Option")
PATIENT_CHARACTERISTICS_OPTION = ("113108", "Retain Patient Characteristics Option")


@dataclass(frozen=True)
class AnonymizationPolicy:
    clean_descriptors: bool = True


@dataclass
class AnonymizedDicom:
    dataset: Dataset
    patient_pseudonym: str
    accession_pseudonym: str  # full keyed pseudonym; the file holds its first 16 characters
    quarantine_reason: str  # '' unless the pixels may show identifying text


def anonymize_dataset(dataset: Dataset, policy: AnonymizationPolicy = AnonymizationPolicy()) -> AnonymizedDicom:
    """De-identify `dataset` in place (attributes, sequences, file meta) and return it with its pseudonyms."""
    identity = read_identity(dataset)
    age = patient_age(dataset)
    quarantine_reason = burned_in_reason(dataset)
    deidentify_elements(dataset, identity, policy)
    if age:
        dataset.PatientAge = age
    elif "PatientAge" in dataset:
        del dataset.PatientAge  # not an age string (AS): free text that may name someone
    if str(dataset.get("PatientSex", "") or "").strip().upper() not in ("", "M", "F", "O"):
        dataset.PatientSex = ""  # likewise for a sex that is not one of the defined terms
    record_deidentification(dataset, policy)
    rebuild_file_meta(dataset)
    return AnonymizedDicom(dataset, identity.patient_pseudonym, identity.accession_pseudonym, quarantine_reason)


def deidentify_elements(dataset: Dataset, identity: PatientIdentity, policy: AnonymizationPolicy) -> None:
    """Apply the resolved action to every element, recursing into the sequences that remain."""
    for element in list(dataset):
        tag = element.tag
        if tag.is_private or tag.element == 0x0000:  # private data and stale group lengths
            del dataset[tag]
            continue
        action = resolved_action(tag, element.VR, clean_descriptors=policy.clean_descriptors)
        if action == "K" and element.VR == "PN":
            action = "Z"  # a person's name the table does not list is still a name
        elif action == "K" and element.VR == "UN":
            action = "X"  # an attribute nobody can interpret cannot be judged safe
        apply_action(dataset, element, action, identity, policy)


def apply_action(dataset: Dataset, element, action: str, identity: PatientIdentity,
                 policy: AnonymizationPolicy) -> None:
    if action == "X":
        del dataset[element.tag]
    elif action == "Z":
        element.value = empty_value(element.VR)
    elif element.VR == "SQ" and action == "D":
        for item in element.value or []:
            replace_with_dummies(item)
    elif element.VR == "SQ":  # K, C and U* on a sequence keep its items, de-identified
        for item in element.value or []:
            deidentify_elements(item, identity, policy)
    elif action == "D":
        element.value = dummy_value(element.VR)
    elif action in ("U", "U*"):
        element.value = remap_uid_value(element.value) if element.VR == "UI" else empty_value(element.VR)
    elif action == "C":
        element.value = clean_element_value(element, identity)
    elif action == "P":
        element.value = pseudonym_for(element.keyword, identity)


def replace_with_dummies(item: Dataset) -> None:
    """D on a sequence: its items keep their shape, every value in them becomes a dummy (UIDs remapped).

    Such sequences (ContentSequence, the person and institution code sequences) hold free text and
    codes the table does not list one by one, so nothing in them can be kept as it was.
    """
    for element in list(item):
        if element.tag.is_private or element.tag.element == 0x0000:
            del item[element.tag]
        elif element.VR == "SQ":
            for inner in element.value or []:
                replace_with_dummies(inner)
        elif element.VR == "UI":
            element.value = remap_uid_value(element.value)
        else:
            element.value = dummy_value(element.VR)


def clean_element_value(element, identity: PatientIdentity):
    if element.VR in ("DA", "DT"):
        return shift_date_value(element.value, element.VR, identity.date_shift)
    if element.VR in ("LO", "SH", "ST", "LT", "UT", "UC", "CS"):
        return clean_value(element.value, identity.identifiers)
    return empty_value(element.VR)


def pseudonym_for(keyword: str, identity: PatientIdentity) -> str:
    if keyword == "AccessionNumber":
        return identity.accession_pseudonym[:ACCESSION_MAX_LENGTH]
    return identity.patient_pseudonym


def record_deidentification(dataset: Dataset, policy: AnonymizationPolicy) -> None:
    """PatientIdentityRemoved, DeidentificationMethod and its code sequence (PS3.15 E.1.1)."""
    options = [BASIC_PROFILE, MODIFIED_DATES_OPTION, PATIENT_CHARACTERISTICS_OPTION]
    if policy.clean_descriptors:
        options.append(CLEAN_DESCRIPTORS_OPTION)
    dataset.PatientIdentityRemoved = "YES"
    dataset.LongitudinalTemporalInformationModified = "MODIFIED"
    # LO caps each value at 64 characters, so every profile and option is a value of its own.
    dataset.DeidentificationMethod = [f"CBIR {meaning}"[:64] for _, meaning in options]
    dataset.DeidentificationMethodCodeSequence = [_code_item(value, meaning) for value, meaning in options]


def _code_item(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = "DCM"
    item.CodeMeaning = meaning
    return item


def rebuild_file_meta(dataset: Dataset) -> None:
    """A fresh file meta group: new SOP instance UID, no source AE titles or private info."""
    old = getattr(dataset, "file_meta", None) or FileMetaDataset()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = dataset.get("SOPClassUID", old.get("MediaStorageSOPClassUID", ""))
    meta.MediaStorageSOPInstanceUID = dataset.get("SOPInstanceUID", "")
    meta.TransferSyntaxUID = old.get("TransferSyntaxUID", pydicom.uid.ExplicitVRLittleEndian)
    dataset.file_meta = meta
