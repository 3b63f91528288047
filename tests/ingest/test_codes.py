"""ingest.codes: canonical coding-system URIs and the ICD-9-CM <-> ICD-10-CM crosswalk table."""
import pytest

from ingest.clinical_records import CodeRecord
from ingest.codes import ICD9_CM, ICD10, ICD10_CM, LOINC, SNOMED, canonical_system, crosswalk


@pytest.mark.parametrize("name, uri", [
    ("SCT", SNOMED), ("snomed ct", SNOMED), ("urn:oid:2.16.840.1.113883.6.96", SNOMED),
    ("I10", ICD10), ("ICD-10", ICD10), ("I10C", ICD10_CM), ("I9C", ICD9_CM), ("LN", LOINC),
    (SNOMED, SNOMED), ("L", ""), ("", ""),
])
def test_canonical_system_maps_hl7_names_and_oids_to_fhir_uris(name, uri):
    assert canonical_system(name) == uri


def test_crosswalk_maps_icd9_pneumonia_to_icd10_cm():
    mapped = crosswalk(CodeRecord(system=ICD9_CM, code="486", role="diagnosis"))

    assert (mapped.system, mapped.code, mapped.role, mapped.source) == (ICD10_CM, "J18.9", "diagnosis", "crosswalk")


@pytest.mark.parametrize("icd10, icd9", [("C71.9", "191.9"), ("D32.0", "225.2"), ("D35.2", "227.3"),
                                         ("J80", "518.82")])
def test_crosswalk_maps_brain_tumour_and_ards_codes_back_to_icd9(icd10, icd9):
    mapped = crosswalk(CodeRecord(system=ICD10_CM, code=icd10))

    assert (mapped.system, mapped.code) == (ICD9_CM, icd9)
    assert mapped.display


def test_crosswalk_has_no_icd9_code_for_covid19():
    assert crosswalk(CodeRecord(system=ICD10, code="U07.1")) is None


def test_crosswalk_ignores_snomed_codes():
    assert crosswalk(CodeRecord(system=SNOMED, code="233604007")) is None
