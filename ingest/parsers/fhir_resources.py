"""Per-resource extraction of already validated FHIR R4 JSON into de-identified records.

Only an allow-list leaves: patient identity -> pseudonymize("pt", MR identifier) (the same
value DICOM PatientID carries), accession -> pseudonymize("acc", ...), Study Instance UID
-> remap_uid, birthDate -> age, dates shifted per patient. Names, identifiers, telecom,
address and narrative (text.div) are dropped; free text loses the names and ids of the
patients the context knows.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import date

from ingest.clinical_records import ClinicalRecord, CodeRecord, OrderRecord, PatientRecord, ReportRecord
from ingest.codes import DIAGNOSIS_SYSTEMS, canonical_system
from ingest.deidentify import age_in_years, identifier_terms, shift_date
from ingest.pseudonyms import pseudonymize, remap_uid

GENDER = {"male": "M", "female": "F", "other": "O"}
REPORT_STATUS = {"registered", "partial", "preliminary", "final", "amended", "corrected", "appended",
                 "cancelled", "entered-in-error", "unknown"}
STATUS_ALIASES = {"partial": "preliminary", "corrected": "amended", "appended": "amended",
                  "entered-in-error": "cancelled"}


RELATIVE_REFERENCE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?\Z")


def reference_alias(reference: str) -> str:
    """Keyed digest of a reference, never the reference itself; absolute URLs reduce to 'Type/id'."""
    reference = (reference or "").strip()
    match = RELATIVE_REFERENCE.search(reference) if not reference.startswith("urn:") else None
    return pseudonymize("ref", match.group(1) if match else reference) if reference else ""


@dataclass
class FhirContext:
    patients: dict[str, str] = field(default_factory=dict)  # reference alias -> patient pseudonym
    studies: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias -> (study uid, accession pseudonym)
    terms: set[str] = field(default_factory=set)  # identifying strings of known patients, to scrub

    def register(self, resource: dict, full_url: str = "") -> None:
        keys = [reference_alias(full_url), reference_alias(f"{resource['resourceType']}/{resource.get('id', '')}")
                if resource.get("id") else ""]
        if resource["resourceType"] == "Patient":
            pseudonym = self.add_patient(resource)
            self.patients |= {key: pseudonym for key in keys if key}
        else:
            study = (study_uid_of(resource), accession_of(resource))
            self.studies |= {key: study for key in keys if key}

    def add_patient(self, resource: dict) -> str:
        self.terms |= identifier_terms(patient_strings(resource))
        return patient_pseudonym(resource)

    def add_resource_identifiers(self, resource: dict) -> None:
        """The resource's own identifiers (accession, order numbers) and its subject's, to scrub from its text."""
        subject = resource.get("subject") if isinstance(resource.get("subject"), dict) else {}
        values = [item.get("value") or "" for item in resource.get("identifier") or [] if isinstance(item, dict)]
        values.append(str((subject.get("identifier") or {}).get("value") or ""))
        self.terms |= identifier_terms(values)

    def patient_for(self, reference: dict | None) -> str:
        reference = reference or {}
        self.terms |= identifier_terms([str(reference.get("display") or "")])
        identifier = (reference.get("identifier") or {}).get("value")
        if identifier:
            return pseudonymize("pt", identifier)
        return self.patients.get(reference_alias(str(reference.get("reference") or "")), "")


def patient_pseudonym(resource: dict) -> str:
    """From the MR identifier (what DICOM PatientID holds), else the first one, else the resource id."""
    identifiers = [item for item in resource.get("identifier") or [] if item.get("value")]
    medical_record = [item for item in identifiers
                      if any(coding.get("code") == "MR" for coding in (item.get("type") or {}).get("coding") or [])]
    chosen = (medical_record or identifiers or [{}])[0].get("value")
    return pseudonymize("pt", chosen or f"fhir:Patient/{resource.get('id', '')}")


def patient_strings(resource: dict) -> list[str]:
    names = [" ".join([*(name.get("given") or []), name.get("family") or ""]) for name in resource.get("name") or []]
    names += [name.get("text") or "" for name in resource.get("name") or []]
    identifiers = [item.get("value") or "" for item in resource.get("identifier") or []]
    telecom = [item.get("value") or "" for item in resource.get("telecom") or []]
    addresses = [part for address in resource.get("address") or []
                 for part in [*(address.get("line") or []), address.get("city") or "", address.get("postalCode") or "",
                              address.get("text") or ""]]
    contacts = [part for contact in resource.get("contact") or [] for part in contact_strings(contact)]
    return [*names, *identifiers, *telecom, *addresses, *contacts, str(resource.get("birthDate") or "")]


def contact_strings(contact: dict) -> list[str]:
    name = contact.get("name") or {}
    return [*(name.get("given") or []), name.get("family") or "", name.get("text") or "",
            *[item.get("value") or "" for item in contact.get("telecom") or []]]


def extract_patient(data: dict, context: FhirContext, key: str) -> ClinicalRecord:
    pseudonym = patient_pseudonym(data)
    aliases = [reference_alias(f"Patient/{data['id']}")] if data.get("id") else []
    age = age_in_years(fhir_date(data.get("birthDate")), fhir_date(data.get("deceasedDateTime")) or date.today())
    patient = PatientRecord(pseudonym=pseudonym, sex=GENDER.get(data.get("gender") or "", ""), age_years=age)
    return ClinicalRecord(channel="fhir", message_key=key, message_type="Patient", patient=patient,
                          patient_aliases=aliases)


def extract_imaging_study(data: dict, context: FhirContext, key: str) -> ClinicalRecord:
    patient = patient_of(data, context)
    procedure = first_coding(data.get("procedureCode"))
    description = procedure.get("display") or data.get("description") or ""  # scrubbed with the record
    modalities = [coding.get("code") for coding in data.get("modality") or []]
    modalities += [(series.get("modality") or {}).get("code") for series in data.get("series") or []]
    order = OrderRecord(
        source_key=pseudonymize("order", f"fhir|ImagingStudy/{data.get('id') or key}"),
        accession_pseudonym=accession_of(data), study_uid=study_uid_of(data),
        procedure_system=canonical_system(procedure.get("system", "")) or procedure.get("system", "")[:128],
        procedure_code=procedure.get("code", "")[:64],
        procedure_display=description[:255],
        modality=next((code for code in modalities if code), "")[:16], status=data.get("status", ""),
        codes=codes_of(data.get("reasonCode"), role="finding", source="fhir-imagingstudy"))
    return ClinicalRecord(channel="fhir", message_key=key, message_type="ImagingStudy", patient=patient,
                          orders=[order])


def extract_diagnostic_report(data: dict, context: FhirContext, key: str) -> ClinicalRecord:
    patient = patient_of(data, context)
    pseudonym = patient.pseudonym if patient else ""
    study_uid, accession = linked_study(data, context)
    code = first_coding(data.get("code"))
    conclusion = data.get("conclusion") or ""  # scrubbed with the record (fhir.parse_fhir_resource)
    text = "\n".join(filter(None, [conclusion, *presented_text(data)]))
    status = data.get("status") if data.get("status") in REPORT_STATUS else "unknown"
    report = ReportRecord(
        source_key=pseudonymize("report", f"fhir|DiagnosticReport/{data.get('id') or key}"),
        accession_pseudonym=accession, study_uid=study_uid, status=STATUS_ALIASES.get(status, status),
        code_system=canonical_system(code.get("system", "")) or code.get("system", "")[:128],
        code=code.get("code", "")[:64],
        code_display=(code.get("display") or (data.get("code") or {}).get("text") or "")[:255],
        text=text, impression=conclusion,
        issued=shift_date(fhir_date(data.get("issued")) or fhir_date(data.get("effectiveDateTime")), pseudonym),
        codes=codes_of(data.get("conclusionCode"), role="diagnosis", source="fhir-diagnosticreport"))
    return ClinicalRecord(channel="fhir", message_key=key, message_type="DiagnosticReport", patient=patient,
                          reports=[report])


def extract_condition(data: dict, context: FhirContext, key: str) -> ClinicalRecord:
    return coded_resource_record(data, context, key, resource_type="Condition", concept=data.get("code"),
                                 role="diagnosis")


def extract_observation(data: dict, context: FhirContext, key: str) -> ClinicalRecord:
    return coded_resource_record(data, context, key, resource_type="Observation",
                                 concept=data.get("valueCodeableConcept"), role="finding")


def coded_resource_record(data: dict, context: FhirContext, key: str, *, resource_type: str, concept,
                          role: str) -> ClinicalRecord:
    """A Condition or Observation: its codes, tied to the resource so a changed resource replaces them."""
    source_key = pseudonymize(resource_type.lower(), f"fhir|{resource_type}/{data.get('id') or key}")
    codes = codes_of([concept], role=role, source=f"fhir-{resource_type.lower()}")
    for code in codes:
        code.source_key = source_key
    return ClinicalRecord(channel="fhir", message_key=key, message_type=resource_type,
                          patient=patient_of(data, context), codes=codes)


EXTRACTORS = {"Patient": extract_patient, "ImagingStudy": extract_imaging_study,
              "DiagnosticReport": extract_diagnostic_report, "Condition": extract_condition,
              "Observation": extract_observation}


def patient_of(data: dict, context: FhirContext) -> PatientRecord | None:
    pseudonym = context.patient_for(data.get("subject"))
    return PatientRecord(pseudonym=pseudonym) if pseudonym else None


def linked_study(data: dict, context: FhirContext) -> tuple[str, str]:
    for reference in data.get("imagingStudy") or []:
        study = context.studies.get(reference_alias(str(reference.get("reference") or "")))
        if study:
            return study
    return "", accession_of(data)


def study_uid_of(resource: dict) -> str:
    for identifier in resource.get("identifier") or []:
        if identifier.get("system") == "urn:dicom:uid" and identifier.get("value"):
            return remap_uid(re.sub(r"^urn:oid:", "", identifier["value"]))
    return ""


def accession_of(resource: dict) -> str:
    for identifier in resource.get("identifier") or []:
        codes = [coding.get("code") for coding in (identifier.get("type") or {}).get("coding") or []]
        if "ACSN" in codes and identifier.get("value"):
            return pseudonymize("acc", identifier["value"])
    return ""


def codes_of(concepts, *, role: str, source: str) -> list[CodeRecord]:
    codes = []
    for concept in concepts or []:
        for coding in (concept or {}).get("coding") or []:
            system = canonical_system(coding.get("system", ""))
            if system in DIAGNOSIS_SYSTEMS and coding.get("code"):
                codes.append(CodeRecord(system=system, code=coding["code"][:64],
                                        display=(coding.get("display") or concept.get("text") or "")[:255],
                                        role=role, source=source))
    return codes


def first_coding(concept) -> dict:
    return next(iter((concept or {}).get("coding") or []), {}) if isinstance(concept, dict) else {}


def presented_text(data: dict) -> list[str]:
    """text/plain attachments only; PDFs and narrative HTML are not kept."""
    texts = []
    for attachment in data.get("presentedForm") or []:
        if str(attachment.get("contentType", "")).startswith("text/plain") and attachment.get("data"):
            try:
                texts.append(base64.b64decode(attachment["data"]).decode("utf-8", errors="replace"))
            except (binascii.Error, ValueError):
                continue
    return texts


def fhir_date(text) -> date | None:
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(text or ""))
    if not match:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None
