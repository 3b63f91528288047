"""Repository rows -> FHIR R4 JSON (de-identified): Patient, ImagingStudy, DiagnosticReport, Condition.

Ids are ours: Patient/<pseudonym>, ImagingStudy/study-<pk> (images stored) or
ImagingStudy/order-<pk> (announced, no images yet), DiagnosticReport/<pk>, Condition/<pk>.
"""
from __future__ import annotations

import base64

from ingest.models import CodedConcept, Order, Patient, Report, Study

FHIR_JSON = "application/fhir+json"
DCM = "http://dicom.nema.org/resources/ontology/DCM"
AGE_EXTENSION = "urn:cbir:fhir:StructureDefinition:age-years"
PSEUDONYMIZED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "PSEUDED",
                 "display": "pseudonymized"}
META = {"security": [PSEUDONYMIZED]}
GENDER = {"M": "male", "F": "female", "O": "other"}
ACCESSION_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "ACSN"}]}
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
UNKNOWN_SUBJECT = {"display": "unknown (pseudonymized) patient"}


def subject_reference(pseudonym: str) -> dict:
    return {"reference": f"Patient/{pseudonym}"} if pseudonym else UNKNOWN_SUBJECT


def render_patient(patient: Patient) -> dict:
    resource = {"resourceType": "Patient", "id": patient.pseudonym, "meta": META,
                "gender": GENDER.get(patient.sex, "unknown")}
    if patient.age_years is not None:
        resource["extension"] = [{"url": AGE_EXTENSION, "valueAge": {
            "value": patient.age_years, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"}}]
    return resource


def study_identifiers(study_uid: str, accession_pseudonym: str) -> list[dict]:
    identifiers = [{"system": "urn:dicom:uid", "value": f"urn:oid:{study_uid}"}] if study_uid else []
    if accession_pseudonym:
        identifiers.append({"type": ACCESSION_TYPE, "value": accession_pseudonym})
    return identifiers


def render_study(study: Study) -> dict:
    series = list(study.series.all())
    image_counts = {item.pk: item.images.count() for item in series}
    resource = {
        "resourceType": "ImagingStudy", "id": f"study-{study.pk}", "meta": META, "status": "available",
        "subject": subject_reference(study.patient_pseudonym),
        "identifier": study_identifiers(study.study_uid, study.accession_number),
        "numberOfSeries": len(series), "numberOfInstances": sum(image_counts.values()),
        "series": [render_series(item, image_counts[item.pk]) for item in series],
    }
    modalities = sorted({item.modality for item in series if item.modality})
    if modalities:
        resource["modality"] = [{"system": DCM, "code": code} for code in modalities]
    if study.study_date:
        resource["started"] = study.study_date.isoformat()
    if study.description:
        resource["description"] = study.description
    return resource


def render_series(series, instance_count: int) -> dict:
    rendered = {"uid": series.series_uid, "modality": {"system": DCM, "code": series.modality or "OT"},
                "numberOfInstances": instance_count}
    if series.number is not None:
        rendered["number"] = max(series.number, 0)
    if series.description:
        rendered["description"] = series.description
    if series.body_part:
        rendered["bodySite"] = {"display": series.body_part}
    return rendered


def render_order(order: Order) -> dict:
    resource = {"resourceType": "ImagingStudy", "id": f"order-{order.pk}", "meta": META,
                "status": "cancelled" if order.status.upper() in ("CA", "CANCELLED") else "registered",
                "subject": subject_reference(order.patient.pseudonym if order.patient else ""),
                "identifier": study_identifiers(order.study_uid, order.accession_pseudonym)}
    if order.modality:
        resource["modality"] = [{"system": DCM, "code": order.modality}]
    if order.procedure_code or order.procedure_display:
        resource["procedureCode"] = [concept(order.procedure_system, order.procedure_code, order.procedure_display)]
    return resource


def render_report(report: Report) -> dict:
    resource = {
        "resourceType": "DiagnosticReport", "id": str(report.pk), "meta": META, "status": report.status,
        "code": concept(report.code_system, report.code, report.code_display or "Diagnostic report"),
        "subject": subject_reference(report.patient.pseudonym if report.patient else ""),
    }
    if report.issued:
        resource["effectiveDateTime"] = report.issued.isoformat()
        resource["issued"] = f"{report.issued.isoformat()}T00:00:00Z"
    if report.study_id:
        resource["imagingStudy"] = [{"reference": f"ImagingStudy/study-{report.study_id}"}]
    if report.impression:
        resource["conclusion"] = report.impression
    codes = [code for code in report.codes.all() if code.mapped_from_id is None]
    if codes:
        resource["conclusionCode"] = [codeable(code) for code in codes]
    if report.text:
        resource["presentedForm"] = [{"contentType": "text/plain; charset=utf-8",
                                      "data": base64.b64encode(report.text.encode("utf-8")).decode("ascii")}]
    return resource


def render_condition(code: CodedConcept) -> dict:
    resource = {"resourceType": "Condition", "id": str(code.pk), "meta": META, "code": codeable(code),
                "subject": subject_reference(code.patient.pseudonym if code.patient else "")}
    if code.role == CodedConcept.Role.DIAGNOSIS:
        resource["category"] = [{"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}]
    evidence = [{"reference": f"DiagnosticReport/{code.report_id}"}] if code.report_id else []
    evidence += [{"reference": f"ImagingStudy/study-{code.study_id}"}] if code.study_id else []
    if evidence:
        resource["evidence"] = [{"detail": evidence}]
    return resource


def codeable(code: CodedConcept) -> dict:
    """The code with its crosswalk codes as further codings of one CodeableConcept."""
    codings = [coding(code.system, code.code, code.display)]
    codings += [coding(mapped.system, mapped.code, mapped.display) for mapped in code.mapped_codes.all()]
    return {"coding": codings, "text": code.display} if code.display else {"coding": codings}


def coding(system: str, code: str, display: str) -> dict:
    return {key: value for key, value in (("system", system), ("code", code), ("display", display)) if value}


def concept(system: str, code: str, display: str) -> dict:
    if not code:
        return {"text": display or "unknown"}
    rendered = {"coding": [coding(system, code, display)]}
    return rendered | {"text": display} if display else rendered


def searchset(resources: list[dict], *, total: int, base_url: str, self_url: str, next_url: str = "") -> dict:
    links = [{"relation": "self", "url": self_url}] + ([{"relation": "next", "url": next_url}] if next_url else [])
    return {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links,
            "entry": [{"fullUrl": f"{base_url}/{resource['resourceType']}/{resource['id']}", "resource": resource,
                       "search": {"mode": "match"}} for resource in resources]}


def operation_outcome(issues: list[dict]) -> dict:
    return {"resourceType": "OperationOutcome", "issue": issues}


# What each served type can be searched by (ingest.fhir_selectors); every type also takes _id, _count, _offset.
SEARCH_PARAMETERS = {
    "Patient": [("gender", "token")],
    "ImagingStudy": [("patient", "reference"), ("subject", "reference"), ("modality", "token"),
                     ("identifier", "token"), ("started", "date"), ("status", "token")],
    "DiagnosticReport": [("patient", "reference"), ("subject", "reference"), ("status", "token"), ("code", "token"),
                         ("issued", "date"), ("_content", "string"), ("_text", "string")],
    "Condition": [("patient", "reference"), ("subject", "reference"), ("code", "token"), ("category", "token")],
}
COMMON_SEARCH_PARAMETERS = [("_id", "token"), ("_count", "number"), ("_offset", "number")]
GENERAL_PARAMETERS = {"_format"}  # answer format, not a search criterion: not reported as ignored


def used_parameters(resource_type: str) -> set[str]:
    return {name for name, _ in [*COMMON_SEARCH_PARAMETERS, *SEARCH_PARAMETERS[resource_type]]}


def capability_statement(*, base_url: str, writable: list[str], software_version: str) -> dict:
    """GET /fhir/metadata: what this server reads, searches and accepts (R4 requires the statement)."""
    readable = set(SEARCH_PARAMETERS)
    resources = []
    for kind in sorted(readable | set(writable)):
        interactions = ([{"code": "read"}, {"code": "search-type"}] if kind in readable else []) + \
            ([{"code": "create"}] if kind in writable else [])
        entry = {"type": kind, "interaction": interactions}
        if kind in readable:
            entry["searchParam"] = [{"name": name, "type": kind_of} for name, kind_of in
                                    [*COMMON_SEARCH_PARAMETERS, *SEARCH_PARAMETERS[kind]]]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": "2026-11-23", "kind": "instance",
        "software": {"name": "CBIR de-identified repository", "version": software_version},
        "implementation": {"description": "de-identified clinical data linked to images", "url": base_url},
        "fhirVersion": "4.0.1", "format": [FHIR_JSON],
        "rest": [{"mode": "server", "resource": resources,
                  "interaction": [{"code": "transaction"}, {"code": "batch"}],
                  "security": {"description": "Token or session authentication; reads for researchers and curators, "
                                              "writes (ingestion) for curators"}}],
    }
