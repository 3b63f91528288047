"""Coding systems (canonical FHIR URIs) and a small ICD-9-CM <-> ICD-10-CM crosswalk.

The crosswalk is NOT the CMS General Equivalence Mappings: nothing can be downloaded
here, so it is a hand-written table of the codes relevant to this project's datasets
(pneumonias of covid_chestxray, ARDS, SARS, brain tumours of brain_tumor_mri, and the
diagnoses of the sample messages), each entry written to agree with the 2018 GEM files
as the author remembers them. COVID-19 (U07.1) has no ICD-9-CM code: ICD-9-CM was
frozen in 2013, so U07.1 is never mapped. Replace the table with the full GEM files
when a deployment has them.
"""
from __future__ import annotations

from ingest.clinical_records import CodeRecord

SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD9_CM = "http://hl7.org/fhir/sid/icd-9-cm"
LOINC = "http://loinc.org"
CPT = "http://www.ama-assn.org/go/cpt"

# HL7 v2 table 0396 names, common free-text spellings and OIDs -> canonical URI.
_SYSTEM_ALIASES = {
    "SCT": SNOMED, "SNOMED": SNOMED, "SNOMED CT": SNOMED, "SNOMEDCT": SNOMED, "SNM": SNOMED,
    "2.16.840.1.113883.6.96": SNOMED,
    "I10": ICD10, "ICD10": ICD10, "ICD-10": ICD10, "2.16.840.1.113883.6.3": ICD10,
    "I10C": ICD10_CM, "ICD10CM": ICD10_CM, "ICD-10-CM": ICD10_CM, "2.16.840.1.113883.6.90": ICD10_CM,
    "I9": ICD9_CM, "I9C": ICD9_CM, "I9CM": ICD9_CM, "ICD9": ICD9_CM, "ICD-9": ICD9_CM, "ICD-9-CM": ICD9_CM,
    "2.16.840.1.113883.6.103": ICD9_CM,
    "LN": LOINC, "LOINC": LOINC, "2.16.840.1.113883.6.1": LOINC,
    "C4": CPT, "CPT": CPT, "CPT4": CPT, "2.16.840.1.113883.6.12": CPT,
}
KNOWN_SYSTEMS = {SNOMED, ICD10, ICD10_CM, ICD9_CM, LOINC, CPT}
DIAGNOSIS_SYSTEMS = {SNOMED, ICD10, ICD10_CM, ICD9_CM}  # codes kept as diagnoses/findings

# ICD-9-CM -> (ICD-10-CM, ICD-10-CM display); the reverse direction is derived from it.
ICD9_TO_ICD10 = {
    "486": ("J18.9", "Pneumonia, unspecified organism"),
    "480.9": ("J12.9", "Viral pneumonia, unspecified"),
    "481": ("J13", "Pneumonia due to Streptococcus pneumoniae"),
    "482.0": ("J15.0", "Pneumonia due to Klebsiella pneumoniae"),
    "482.30": ("J15.4", "Pneumonia due to other streptococci"),
    "482.82": ("J15.5", "Pneumonia due to Escherichia coli"),
    "482.84": ("A48.1", "Legionnaires' disease"),
    "482.9": ("J15.9", "Unspecified bacterial pneumonia"),
    "483.0": ("J15.7", "Pneumonia due to Mycoplasma pneumoniae"),
    "136.3": ("B59", "Pneumocystosis"),
    "052.1": ("B01.2", "Varicella pneumonia"),
    "487.0": ("J11.00", "Influenza due to unidentified influenza virus with unspecified type of pneumonia"),
    "507.1": ("J69.1", "Pneumonitis due to inhalation of oils and essences"),
    "518.82": ("J80", "Acute respiratory distress syndrome"),
    "079.82": ("B97.21", "SARS-associated coronavirus as the cause of diseases classified elsewhere"),
    "191.9": ("C71.9", "Malignant neoplasm of brain, unspecified"),
    "225.2": ("D32.0", "Benign neoplasm of cerebral meninges"),
    "227.3": ("D35.2", "Benign neoplasm of pituitary gland"),
    "162.9": ("C34.90", "Malignant neoplasm of unspecified part of unspecified bronchus or lung"),
    "434.91": ("I63.50", "Cerebral infarction due to unspecified occlusion or stenosis of unspecified cerebral artery"),
    "780.60": ("R50.9", "Fever, unspecified"),
    "250.70": ("E11.51", "Type 2 diabetes mellitus with diabetic peripheral angiopathy without gangrene"),
    "V70.0": ("Z00.00", "Encounter for general adult medical examination without abnormal findings"),
}
ICD9_DISPLAYS = {
    "486": "Pneumonia, organism unspecified", "480.9": "Viral pneumonia, unspecified",
    "481": "Pneumococcal pneumonia", "482.0": "Pneumonia due to Klebsiella pneumoniae",
    "482.30": "Pneumonia due to Streptococcus, unspecified", "482.82": "Pneumonia due to Escherichia coli",
    "482.84": "Pneumonia due to Legionnaires' disease", "482.9": "Bacterial pneumonia, unspecified",
    "483.0": "Pneumonia due to mycoplasma pneumoniae", "136.3": "Pneumocystosis",
    "052.1": "Varicella (hemorrhagic) pneumonitis", "487.0": "Influenza with pneumonia",
    "507.1": "Pneumonitis due to inhalation of oils and essences",
    "518.82": "Other pulmonary insufficiency, not elsewhere classified",
    "079.82": "SARS-associated coronavirus", "191.9": "Malignant neoplasm of brain, unspecified",
    "225.2": "Benign neoplasm of cerebral meninges",
    "227.3": "Benign neoplasm of pituitary gland and craniopharyngeal duct",
    "162.9": "Malignant neoplasm of bronchus and lung, unspecified",
    "434.91": "Cerebral artery occlusion, unspecified with cerebral infarction", "780.60": "Fever, unspecified",
    "250.70": "Diabetes with peripheral circulatory disorders, type II or unspecified type, not stated as uncontrolled",
    "V70.0": "Routine general medical examination at a health care facility",
}
ICD10_TO_ICD9 = {icd10: icd9 for icd9, (icd10, _) in ICD9_TO_ICD10.items()}


def canonical_system(name: str) -> str:
    """HL7 coding-system name, OID or URI -> canonical URI; '' when unknown."""
    text = (name or "").strip()
    if text in KNOWN_SYSTEMS:
        return text
    if text.startswith("urn:oid:"):
        text = text[len("urn:oid:"):]
    return _SYSTEM_ALIASES.get(text.upper(), "")


def crosswalk(code: CodeRecord) -> CodeRecord | None:
    """The mapped ICD-9-CM / ICD-10-CM code for `code`, or None when the table has none.

    A WHO ICD-10 code spelled like a table entry is treated as that ICD-10-CM code.
    """
    if code.system == ICD9_CM and code.code in ICD9_TO_ICD10:
        target, display = ICD9_TO_ICD10[code.code]
        return CodeRecord(system=ICD10_CM, code=target, display=display, role=code.role, source="crosswalk")
    if code.system in (ICD10, ICD10_CM) and code.code in ICD10_TO_ICD9:
        target = ICD10_TO_ICD9[code.code]
        return CodeRecord(system=ICD9_CM, code=target, display=ICD9_DISPLAYS[target], role=code.role,
                          source="crosswalk")
    return None
