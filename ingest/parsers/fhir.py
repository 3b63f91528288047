"""FHIR R4 JSON -> de-identified ClinicalRecords (no ORM), validated with fhir.resources' R4B models.

Supports Patient, ImagingStudy, DiagnosticReport, Condition and Observation, alone or
in a transaction/batch Bundle. References between entries (fullUrl or Type/id) are
resolved to pseudonyms here; references to patients stored earlier come in through
FhirContext.patients, which the caller fills from ingest.models.PatientAlias.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from ingest.clinical_records import ClinicalRecord, scrub_record_text
from ingest.errors import IngestError
from ingest.parsers import fhir_resources
from ingest.parsers.fhir_resources import FhirContext, reference_alias

SUPPORTED_TYPES = ("Patient", "ImagingStudy", "DiagnosticReport", "Condition", "Observation")
BUNDLE_TYPES = ("transaction", "batch")
WRITE_METHODS = ("POST", "PUT")


class FhirInvalid(IngestError):
    """Refused FHIR input; `issues` become OperationOutcome.issue (never quoting submitted values)."""

    def __init__(self, message: str, *, issues: list[dict] | None = None, code: str = "invalid"):
        super().__init__(message)
        self.issues = issues or [{"severity": "error", "code": code, "diagnostics": message}]


class FhirTypeNotServed(FhirInvalid):
    """/fhir/{type} for a type this server does not serve: 404 with issue code not-supported (FHIR R4 REST)."""

    def __init__(self, resource_type: str, supported):
        super().__init__(f"resource type {shown_type(resource_type)} is not served here; supported: "
                         f"{', '.join(supported)}", code="not-supported")


def shown_type(name: str) -> str:
    """A resource type as it may be echoed: its letters only, at most 40 (never submitted text verbatim)."""
    return re.sub(r"[^A-Za-z]", "", name)[:40]


@dataclass
class BundleEntry:
    position: int
    resource_type: str = ""
    record: ClinicalRecord | None = None
    error: FhirInvalid | None = None


@dataclass
class ParsedBundle:
    type: str
    entries: list[BundleEntry] = field(default_factory=list)


def parse_fhir_resource(data, context: FhirContext | None = None) -> ClinicalRecord:
    """One supported resource -> ClinicalRecord; raises FhirInvalid."""
    validate_resource(data)
    context = context or FhirContext()
    if data["resourceType"] == "Patient":
        context.add_patient(data)
    context.add_resource_identifiers(data)
    record = fhir_resources.EXTRACTORS[data["resourceType"]](data, context, message_key(data))
    scrub_record_text(record, context.terms)
    return record


def parse_fhir_bundle(data, context: FhirContext | None = None) -> ParsedBundle:
    """A transaction or batch Bundle -> one entry per resource, each with its record or its error."""
    check_bundle_envelope(data)
    context = context or FhirContext()
    entries = data.get("entry") or []
    for entry in entries:  # patients first, so other entries can reference them
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") in ("Patient", "ImagingStudy"):
            context.register(resource, entry.get("fullUrl", ""))
    return ParsedBundle(type=data["type"], entries=[parse_entry(position, entry, context)
                                                    for position, entry in enumerate(entries)])


def parse_entry(position: int, entry, context: FhirContext) -> BundleEntry:
    resource = entry.get("resource") if isinstance(entry, dict) else None
    parsed = BundleEntry(position, resource_type=str((resource or {}).get("resourceType", ""))[:32])
    method = str(((entry or {}).get("request") or {}).get("method", "POST")).upper()
    try:
        if method not in WRITE_METHODS:
            raise FhirInvalid(f"entry {position}: request method {method[:8]} is not supported", code="not-supported")
        parsed.record = parse_fhir_resource(resource, context)
    except FhirInvalid as error:
        parsed.error = FhirInvalid(f"entry {position}: {error.message}", issues=[
            issue | {"expression": [f"Bundle.entry[{position}].resource" + _suffix(issue)]} for issue in error.issues])
    return parsed


def check_bundle_envelope(data) -> None:
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise FhirInvalid("POST /fhir/ expects a Bundle")
    if data.get("type") not in BUNDLE_TYPES:
        raise FhirInvalid("Bundle.type must be transaction or batch", code="not-supported")
    envelope = {key: value for key, value in data.items() if key != "entry"}
    envelope["entry"] = [{k: v for k, v in entry.items() if k != "resource"} if isinstance(entry, dict) else entry
                         for entry in data.get("entry") or []]
    validate_model("Bundle", envelope, data)


def validate_resource(data) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise FhirInvalid("not a FHIR resource (no resourceType)", code="structure")
    if data["resourceType"] not in SUPPORTED_TYPES:
        raise FhirInvalid(f"resource type {shown_type(data['resourceType'])} is not supported here; supported: "
                          f"{', '.join(SUPPORTED_TYPES)}", code="not-supported")
    validate_model(data["resourceType"], data, data)


def validate_model(resource_type: str, data: dict, original) -> None:
    try:
        get_fhir_model_class(resource_type).model_validate(data)
    except ValidationError as exc:
        submitted = submitted_strings(original)
        issues = [{"severity": "error", "code": "invalid", "diagnostics": _without(error["msg"], submitted),
                   "expression": [".".join(str(part) for part in (resource_type, *error["loc"]))]}
                  for error in exc.errors(include_input=False, include_url=False, include_context=False)[:20]]
        raise FhirInvalid(f"invalid {resource_type}", issues=issues) from None
    except (ValueError, TypeError) as exc:  # fhir.resources raises these for some structural errors
        raise FhirInvalid(f"invalid {resource_type}: {type(exc).__name__}") from None


def message_key(data: dict) -> str:
    """Same resource (type, id and content) -> same key, so a re-send is a no-op."""
    from ingest.pseudonyms import pseudonymize

    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return pseudonymize("fhir", f"{data.get('resourceType')}/{data.get('id', '')}|{digest}")


def submitted_strings(data) -> set[str]:
    """Every string in the submitted JSON, so no error message can quote one back."""
    found: set[str] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, (str, int, float)) and not isinstance(item, bool) and len(str(item)) >= 2:
            found.add(str(item))
    return found


def _without(message: str, submitted: set[str]) -> str:
    for value in sorted(submitted, key=len, reverse=True):
        if value in message:
            message = message.replace(value, "…")
    return re.sub(r"\s+", " ", message)[:300]


def _suffix(issue: dict) -> str:
    expression = (issue.get("expression") or [""])[0]
    return expression[expression.find("."):] if "." in expression else ""


__all__ = ["FhirContext", "FhirInvalid", "ParsedBundle", "parse_fhir_bundle", "parse_fhir_resource",
           "reference_alias"]
