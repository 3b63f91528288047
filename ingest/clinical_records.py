"""Plain records of de-identified clinical data (patients, orders, reports, codes) that the
HL7 and FHIR parsers return and ingest.reports stores; no ORM, no raw identity."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ingest.deidentify import scrub_free_text


@dataclass
class CodeRecord:
    system: str  # canonical URI (ingest.codes), e.g. http://snomed.info/sct
    code: str
    display: str = ""
    role: str = "finding"  # diagnosis, finding
    source: str = ""  # hl7-dg1, hl7-obx, fhir-condition, ...
    source_key: str = ""  # keyed digest of the source resource id, when it has one


@dataclass
class PatientRecord:
    pseudonym: str
    sex: str = ""  # M, F, O or empty
    age_years: int | None = None


@dataclass
class OrderRecord:
    source_key: str = ""
    accession_pseudonym: str = ""
    study_uid: str = ""  # remapped
    procedure_system: str = ""
    procedure_code: str = ""
    procedure_display: str = ""
    modality: str = ""
    status: str = ""
    codes: list[CodeRecord] = field(default_factory=list)


@dataclass
class ReportRecord:
    source_key: str
    accession_pseudonym: str = ""
    study_uid: str = ""  # remapped
    status: str = "unknown"  # FHIR DiagnosticReport.status
    code_system: str = ""
    code: str = ""
    code_display: str = ""
    text: str = ""  # scrubbed of the message's known identifiers
    impression: str = ""
    issued: date | None = None  # already shifted per patient
    codes: list[CodeRecord] = field(default_factory=list)


@dataclass
class ClinicalRecord:
    """Everything one HL7 message or FHIR resource contributes, de-identified."""

    channel: str  # hl7, fhir
    message_key: str  # keyed digest of sender + control id, or of resource type/id
    message_type: str  # ORU^R01, ADT^A08, DiagnosticReport, ...
    control_id: str = ""  # HL7 MSH-10, echoed in the ACK
    patient: PatientRecord | None = None
    orders: list[OrderRecord] = field(default_factory=list)
    reports: list[ReportRecord] = field(default_factory=list)
    codes: list[CodeRecord] = field(default_factory=list)  # patient-level (DG1 in ADT, FHIR Condition)
    patient_aliases: list[str] = field(default_factory=list)  # keyed digests of FHIR 'Patient/<id>' for `patient`


def scrub_record_text(record: ClinicalRecord, terms: set[str]) -> None:
    """Cut the message's identifiers, identifier shapes and every calendar date out of all the text a record keeps.

    Code displays and procedure names are free text too ("Pneumonia in John Doe"); dates in text cannot
    be shifted like the dated fields, so they go.
    """
    def clean(text: str) -> str:
        return scrub_free_text(text, terms)

    codes = [*record.codes, *(code for order in record.orders for code in order.codes),
             *(code for report in record.reports for code in report.codes)]
    for code in codes:
        code.display = clean(code.display)
    for order in record.orders:
        order.procedure_display = clean(order.procedure_display)
    for report in record.reports:
        report.code_display, report.text, report.impression = (clean(report.code_display), clean(report.text),
                                                               clean(report.impression))
