"""Store de-identified clinical records (patients, orders, reports, codes) and link them to studies.

Reports and orders link to a Study by remapped Study Instance UID or accession pseudonym,
whichever arrives first: on save (study already there) and through
link_reports_to_study(study), which the image path calls after storing an image.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from ingest.clinical_records import ClinicalRecord, CodeRecord, OrderRecord, PatientRecord, ReportRecord
from ingest.codes import crosswalk
from ingest.image_annotations import annotate_study_images
from ingest.models import CodedConcept, InboundMessage, Order, Patient, PatientAlias, Report, Study

logger = logging.getLogger(__name__)


@dataclass
class StoreOutcome:
    message: InboundMessage
    created: bool
    reports: list[Report]


def store_clinical_record(record: ClinicalRecord) -> StoreOutcome:
    """Save one message or resource in one transaction; a re-sent one (same key) is a no-op."""
    with transaction.atomic():
        message, created = InboundMessage.objects.get_or_create(
            message_key=record.message_key, defaults={"channel": record.channel,
                                                      "message_type": record.message_type[:32]})
        if not created:
            return StoreOutcome(message, created=False, reports=list(Report.objects.filter(message=message)))
        patient = upsert_patient(record.patient)
        register_aliases(record.patient_aliases, patient)
        for order in record.orders:
            save_order(order, patient=patient, message=message)
        reports = [save_report(report, patient=patient, message=message) for report in record.reports]
        replace_patient_codes(record.codes, patient=patient)
    logger.info("stored %s message %s (%d reports)", record.channel, message.pk, len(reports))
    return StoreOutcome(message, created=True, reports=reports)


def upsert_patient(record: PatientRecord | None) -> Patient | None:
    if record is None or not record.pseudonym:
        return None
    patient, _ = Patient.objects.get_or_create(pseudonym=record.pseudonym)
    changed = {name: value for name, value in (("sex", record.sex), ("age_years", record.age_years))
               if value not in ("", None) and getattr(patient, name) != value}
    if changed:
        Patient.objects.filter(pk=patient.pk).update(**changed)
        patient.refresh_from_db()
    return patient


def register_aliases(aliases: list[str], patient: Patient | None) -> None:
    for alias in aliases if patient else []:
        PatientAlias.objects.update_or_create(alias=alias, defaults={"patient": patient})


def replace_patient_codes(records: list[CodeRecord], *, patient: Patient | None) -> None:
    """Codes of a re-sent, changed FHIR Condition/Observation replace the earlier ones (same source key)."""
    source_keys = {record.source_key for record in records if record.source_key}
    if source_keys:
        for concept in CodedConcept.objects.filter(source_key__in=source_keys, mapped_from__isnull=True):
            concept.delete()  # one by one, so post_delete reaches the keyword index
    save_codes(records, patient=patient)


def save_order(record: OrderRecord, *, patient: Patient | None, message: InboundMessage) -> Order:
    fields = {"patient": patient, "message": message, "accession_pseudonym": record.accession_pseudonym,
              "study_uid": record.study_uid, "procedure_system": record.procedure_system,
              "procedure_code": record.procedure_code, "procedure_display": record.procedure_display,
              "modality": record.modality, "status": record.status[:16]}
    existing = Order.objects.filter(source_key=record.source_key).first() if record.source_key else None
    if existing:
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.save()
        existing.codes.all().delete()
    order = existing or Order.objects.create(source_key=record.source_key, **fields)
    save_codes(record.codes, patient=patient, order=order)
    study = find_study(accession_pseudonym=order.accession_pseudonym, study_uid=order.study_uid)
    if study:
        attach_to_study(order, study)
        annotate_study_images(study)
    return order


def save_report(record: ReportRecord, *, patient: Patient | None, message: InboundMessage) -> Report:
    """Create or replace (same source key: a corrected or re-issued report) one report and its codes."""
    report, _ = Report.objects.update_or_create(source_key=record.source_key, defaults={
        "patient": patient, "message": message, "accession_pseudonym": record.accession_pseudonym,
        "study_uid": record.study_uid, "status": record.status, "code_system": record.code_system[:128],
        "code": record.code[:64], "code_display": record.code_display[:255], "text": record.text,
        "impression": record.impression, "issued": record.issued})
    report.codes.all().delete()
    save_codes(record.codes, patient=patient, report=report)
    study = report.study or find_study(accession_pseudonym=report.accession_pseudonym, study_uid=report.study_uid)
    if study:
        attach_to_study(report, study)
        annotate_study_images(study)
    return report


def save_codes(records: list[CodeRecord], *, patient: Patient | None, report: Report | None = None,
               order: Order | None = None) -> list[CodedConcept]:
    """Each code plus, where the crosswalk has one, its mapped ICD-9-CM / ICD-10-CM code."""
    saved = []
    for record in records:
        links = {"patient": patient, "report": report, "order": order,
                 "study": (report or order).study if (report or order) else None}
        concept = CodedConcept.objects.create(**code_fields(record), **links)
        saved.append(concept)
        mapped = crosswalk(record)
        if mapped:
            saved.append(CodedConcept.objects.create(**code_fields(mapped), mapped_from=concept, **links))
    return saved


def code_fields(record: CodeRecord) -> dict:
    return {"system": record.system, "code": record.code, "display": record.display, "role": record.role,
            "source": record.source, "source_key": record.source_key}


def find_study(*, accession_pseudonym: str, study_uid: str) -> Study | None:
    if study_uid:
        study = Study.objects.filter(study_uid=study_uid).first()
        if study:
            return study
    if accession_pseudonym:
        return Study.objects.filter(accession_number=accession_pseudonym).order_by("id").first()
    return None


def attach_to_study(item: Report | Order, study: Study) -> None:
    # save(), not update(): the keyword index listens to post_save of reports and codes
    item.study = study
    item.save(update_fields=["study"])
    for code in item.codes.all():
        code.study = study
        code.save(update_fields=["study"])
    logger.info("linked %s %s to study %s", type(item).__name__.lower(), item.pk, study.pk)


def link_reports_to_study(study: Study) -> int:
    """Link waiting reports/orders to `study` and annotate its images; idempotent, call after each image.

    Returns how many reports or orders were newly linked.
    """
    match = Q(study_uid=study.study_uid)
    if study.accession_number:
        match |= Q(accession_pseudonym=study.accession_number)
    linked = 0
    with transaction.atomic():
        for model in (Order, Report):
            for item in model.objects.filter(match, study__isnull=True):
                attach_to_study(item, study)
                linked += 1
        annotate_study_images(study)
    return linked
