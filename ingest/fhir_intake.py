"""Receive FHIR R4 resources and transaction/batch Bundles: parse, de-identify, store, answer."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from django.db import transaction

from ingest.clinical_records import ClinicalRecord
from ingest.fhir_render import operation_outcome
from ingest.models import CodedConcept, Order, PatientAlias, Rejection
from ingest.parsers.fhir import (SUPPORTED_TYPES, FhirContext, FhirInvalid, FhirTypeNotServed, parse_fhir_bundle,
                                 parse_fhir_resource, reference_alias)
from ingest.reports import StoreOutcome, store_clinical_record

logger = logging.getLogger(__name__)
CHANNEL = "fhir"


@dataclass
class FhirWrite:
    created: bool
    location: str  # Type/id of what we now serve for it, '' when nothing is served (Observation)


def ingest_fhir_resource(*, data, resource_type: str) -> FhirWrite:
    """POST /fhir/{type}: one resource; a re-sent identical resource is a no-op. Raises FhirInvalid."""
    try:
        if resource_type not in SUPPORTED_TYPES:
            raise FhirTypeNotServed(resource_type, SUPPORTED_TYPES)
        if not isinstance(data, dict) or data.get("resourceType") != resource_type:
            raise FhirInvalid(f"the body must be a {resource_type[:40]} resource", code="structure")
        record = parse_fhir_resource(data, context_for(data))
    except FhirInvalid as error:
        record_rejection(error)
        raise
    return write(record, store_clinical_record(record))


def ingest_fhir_bundle(*, data) -> dict:
    """POST /fhir/: a transaction (all or nothing) or batch (each entry alone) -> the response Bundle."""
    try:
        parsed = parse_fhir_bundle(data, context_for(data))
        if parsed.type == "transaction" and any(entry.error for entry in parsed.entries):
            raise FhirInvalid("transaction refused: invalid entries",
                              issues=[issue for entry in parsed.entries if entry.error for issue in entry.error.issues])
    except FhirInvalid as error:
        record_rejection(error)
        raise
    if parsed.type == "transaction":
        with transaction.atomic():
            responses = [entry_response(write(entry.record, store_clinical_record(entry.record)))
                         for entry in parsed.entries]
    else:
        responses = [batch_entry(entry) for entry in parsed.entries]
    return {"resourceType": "Bundle", "type": f"{parsed.type}-response", "entry": responses}


def batch_entry(entry) -> dict:
    if entry.error:
        record_rejection(entry.error)
        return {"response": {"status": "400 Bad Request", "outcome": operation_outcome(entry.error.issues)}}
    return entry_response(write(entry.record, store_clinical_record(entry.record)))


def entry_response(result: FhirWrite) -> dict:
    response = {"status": "201 Created" if result.created else "200 OK"}
    if result.location:
        response["location"] = result.location
    return {"response": response}


def context_for(data) -> FhirContext:
    """Patients stored earlier that `data` references, so their pseudonyms resolve."""
    aliases = {reference_alias(reference) for reference in references_in(data)}
    known = PatientAlias.objects.filter(alias__in=aliases).select_related("patient")
    return FhirContext(patients={item.alias: item.patient.pseudonym for item in known})


def references_in(data) -> list[str]:
    found, stack = [], [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("reference"), str):
                found.append(item["reference"])
            stack.extend(value for value in item.values() if isinstance(value, (dict, list)))
        elif isinstance(item, list):
            stack.extend(item)
    return found


def write(record: ClinicalRecord, outcome: StoreOutcome) -> FhirWrite:
    return FhirWrite(created=outcome.created, location=location_of(record, outcome))


def location_of(record: ClinicalRecord, outcome: StoreOutcome) -> str:
    if record.message_type == "Patient" and record.patient:
        return f"Patient/{record.patient.pseudonym}"
    if outcome.reports:
        return f"DiagnosticReport/{outcome.reports[0].pk}"
    if record.orders:
        order = Order.objects.filter(source_key=record.orders[0].source_key).first()
        return (f"ImagingStudy/study-{order.study_id}" if order.study_id else f"ImagingStudy/order-{order.pk}") \
            if order else ""
    if record.message_type == "Condition" and record.codes:
        concept = CodedConcept.objects.filter(source_key=record.codes[0].source_key, mapped_from__isnull=True).first()
        return f"Condition/{concept.pk}" if concept else ""
    return ""


def record_rejection(error: FhirInvalid) -> Rejection:
    """Issue codes and paths only; diagnostics never quote submitted values (see parsers.fhir)."""
    issues = [{key: issue.get(key) for key in ("code", "expression", "diagnostics")} for issue in error.issues[:20]]
    rejection = Rejection.objects.create(channel=CHANNEL, reason=error.message[:500], detail={"issues": issues})
    logger.info("fhir input rejected as rejection %s", rejection.pk)
    return rejection


def read_fhir_json(body: bytes):
    """The request body as JSON; FhirInvalid (recorded) when it is not."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        error = FhirInvalid("the body is not JSON", code="structure")
        record_rejection(error)
        raise error from None
