"""The PS3.15 Annex E action table: which action applies to which attribute.

The Basic Profile column comes from the dicom-anonymizer package (its transcription of
the 2026c edition of Annex E); the option columns we apply are written out here.
"""
from __future__ import annotations

import functools

from dicomanonymizer.dicomfields_selector import dicom_anonymization_database_selector
from pydicom.datadict import tag_for_keyword
from pydicom.tag import BaseTag

ANNEX_E_EDITION = "dicomfields_2026c"

# dicom-anonymizer category -> Annex E action code of the Basic Profile column.
CATEGORY_ACTIONS = {
    "D_TAGS": "D", "Z_TAGS": "Z", "X_TAGS": "X", "U_TAGS": "U", "Z_D_TAGS": "Z/D",
    "X_Z_TAGS": "X/Z", "X_D_TAGS": "X/D", "X_Z_D_TAGS": "X/Z/D", "X_Z_U_STAR_TAGS": "X/Z/U*",
}

# Without the IOD's attribute types at hand, a combined code resolves to the option that
# keeps the attribute present (Type 1 or 2 stays valid); D and Z hold nothing identifying.
COMBINED_RESOLUTION = {"Z/D": "D", "X/Z": "Z", "X/D": "D", "X/Z/D": "D", "X/Z/U*": "U*"}

# Retain Patient Characteristics Option (113108): kept so that age and sex stay searchable.
PATIENT_CHARACTERISTICS = ("PatientAge", "PatientSex", "PatientSize", "PatientWeight")

# Clean Descriptors Option (113105): free-text descriptions kept after identifiers are cut out.
CLEAN_DESCRIPTORS = (
    "StudyDescription", "SeriesDescription", "ImageComments", "ProtocolName", "DerivationDescription",
    "RequestedProcedureDescription", "PerformedProcedureStepDescription", "AcquisitionComments",
    "AdmittingDiagnosesDescription", "ReasonForTheRequestedProcedure",
)

# Replaced by keyed pseudonyms instead of the table's Z / Z/D, so reports can link to them.
PSEUDONYMIZED = ("PatientName", "PatientID", "AccessionNumber")

# Never shifted: the birth date is dropped, the age it implies is kept.
ALWAYS_EMPTIED = ("PatientBirthDate",)

# Removed although the table keeps them or would keep them here: the other birth data (the table's X on
# PatientBirthTime would otherwise lose to the rule that keeps times of day; the alternative-calendar
# attributes are missing from dicom-anonymizer's transcription) and the issuers of the identifiers we
# pseudonymize, which name the hospital that holds the patient's record.
ALWAYS_REMOVED = (
    "PatientBirthTime", "PatientBirthDateInAlternativeCalendar", "PatientDeathDateInAlternativeCalendar",
    "PatientAlternativeCalendar", "IssuerOfAccessionNumberSequence", "IssuerOfPatientIDQualifiersSequence",
)

# Free text the table does not list is still free text: identifiers and dates are cut out of it.
FREE_TEXT_VRS = ("ST", "LT", "UT")


@functools.lru_cache(maxsize=1)
def basic_profile() -> tuple[dict[int, str], tuple[tuple[int, int, int, int, str], ...]]:
    """(exact tag -> action code, masked (group, element, group mask, element mask, code) rows)."""
    exact: dict[int, str] = {}
    masked = []
    for category, rows in dicom_anonymization_database_selector(ANNEX_E_EDITION).items():
        if category not in CATEGORY_ACTIONS:
            continue
        for row in rows:
            if len(row) == 2:
                exact[(row[0] << 16) | row[1]] = CATEGORY_ACTIONS[category]
            else:
                masked.append((*row, CATEGORY_ACTIONS[category]))
    return exact, tuple(masked)


def basic_profile_action(tag: BaseTag) -> str:
    """The Basic Profile's code for a tag ('' when the profile keeps it untouched)."""
    exact, masked = basic_profile()
    if int(tag) in exact:
        return exact[int(tag)]
    for group, element, group_mask, element_mask, code in masked:
        if (tag.group & group_mask) == group and (tag.element & element_mask) == (element & element_mask):
            return code
    return ""


@functools.lru_cache(maxsize=1)
def _tags(keywords: tuple[str, ...]) -> frozenset[int]:
    return frozenset(tag_for_keyword(keyword) for keyword in keywords)


def resolved_action(tag: BaseTag, vr: str, *, clean_descriptors: bool) -> str:
    """The single action (D, Z, X, K, C, U, U*, P) this installation applies to one element.

    P stands for 'pseudonymize' (PatientName, PatientID, AccessionNumber), handled by the caller.
    """
    if int(tag) in _tags(PSEUDONYMIZED):
        return "P"
    if int(tag) in _tags(ALWAYS_EMPTIED):
        return "Z"
    if int(tag) in _tags(ALWAYS_REMOVED):
        return "X"
    if int(tag) in _tags(PATIENT_CHARACTERISTICS):
        return "K"
    if clean_descriptors and int(tag) in _tags(CLEAN_DESCRIPTORS):
        return "C"
    code = basic_profile_action(tag)
    if not code:
        return "C" if vr in FREE_TEXT_VRS else "K"
    if vr in ("DA", "DT"):
        return "C"  # Retain Longitudinal Temporal Information with Modified Dates: shift
    if vr == "TM":
        return "K"  # whole-day shifts leave the time of day as it was
    return COMBINED_RESOLUTION.get(code, code)
