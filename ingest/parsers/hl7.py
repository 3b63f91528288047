"""HL7 v2 message text -> de-identified ClinicalRecord (no ORM).

Accepts ORU^R01 (reports and OBX results), ORM^O01 / OMI^O23 / OML^O21 (orders with
accession numbers) and ADT^A01/A04/A08 (demographics), with DG1 diagnoses anywhere.
Only an allow-list leaves this module: the patient id becomes pseudonymize("pt", ...),
accession numbers pseudonymize("acc", ...), Study Instance UIDs remap_uid(...), the
birth date an age, dates shift per patient, and report text loses every name, id,
phone number and address that the message's PID, NK1, PV1, GT1, IN1, ORC and OBR carry.
"""
from __future__ import annotations

import hashlib
import re
from datetime import date

from ingest.clinical_records import (ClinicalRecord, CodeRecord, OrderRecord, PatientRecord, ReportRecord,
                                     scrub_record_text)
from ingest.codes import DIAGNOSIS_SYSTEMS, canonical_system
from ingest.deidentify import REDACTED, age_in_years, identifier_terms, shift_date
from ingest.parsers.hl7_identifiers import message_identifiers
from ingest.parsers.hl7_segments import Hl7Rejected, Segment, split_segments
from ingest.pseudonyms import pseudonymize, remap_uid

SUPPORTED_TYPES = {"ORU^R01", "ORM^O01", "OMI^O23", "OML^O21", "ADT^A01", "ADT^A04", "ADT^A08"}
CODED_VALUE_TYPES = {"CE", "CWE", "CNE"}
# OBX-5 of these types names or locates a person (patient, relative or provider); never kept.
PERSON_VALUE_TYPES = {"PN", "XPN", "XCN", "CN", "XAD", "AD", "XTN", "TN", "CX", "EI", "PPN"}
NUMERIC = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*\Z")
MODALITIES = {"CT", "MR", "CR", "DX", "US", "MG", "NM", "PT", "XA", "RF", "OT", "SC"}
REPORT_STATUS = {"F": "final", "P": "preliminary", "C": "amended", "X": "cancelled", "I": "registered",
                 "O": "registered", "S": "registered", "R": "preliminary"}
DICOM_STUDY_UID_CODE = "113014"  # DCM code of Study Instance UID in OBX-3 of DICOM-derived reports


def parse_hl7_message(text: str) -> ClinicalRecord:
    """Validate and de-identify one message; raises Hl7Rejected with an ACK code and reason."""
    segments, _ = split_segments(text)
    msh = segments[0]
    message_type, control_id = read_header(msh)
    check_structure(message_type, segments)
    check_data_types(segments)
    patient = read_patient(segments, msh)
    terms = identifier_terms(message_identifiers(segments))
    record = ClinicalRecord(channel="hl7", message_type=message_type, control_id=control_id, patient=patient,
                            message_key=message_key(msh, control_id, text))
    pseudonym = patient.pseudonym if patient else ""
    groups = obr_groups(segments)
    grouped = {id(segment) for group in groups for segment in group}
    loose_diagnoses = read_diagnoses([segment for segment in segments if id(segment) not in grouped])
    for group in groups:
        order = read_order(group, msh)
        if message_type == "ORU^R01":
            record.reports.append(read_report(group, order, msh, pseudonym=pseudonym))
        else:
            order.codes = read_diagnoses(group)
            record.orders.append(order)
    attach_loose_diagnoses(record, loose_diagnoses)
    scrub_record_text(record, terms)
    return record


def message_key(msh: Segment, control_id: str, text: str) -> str:
    """Sender, control id and content: a resend is a no-op, but a sender that reuses control ids (a reset
    counter) does not have its new message acknowledged and dropped. MSH itself is left out of the
    content, so a resend with a new timestamp is still recognised."""
    body = "\r".join(line.strip() for line in re.split(r"[\r\n]+", text)[1:] if line.strip())
    digest = hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()  # lone surrogates from bad bytes too
    return pseudonymize("msg", f"{msh.get(3)}|{msh.get(4)}|{control_id}|{digest}")


def attach_loose_diagnoses(record: ClinicalRecord, diagnoses: list[CodeRecord]) -> None:
    """DG1 outside any OBR group belongs to the single order/report if there is one, else to the patient."""
    targets = record.orders + record.reports
    if len(targets) == 1:
        targets[0].codes += diagnoses
    else:
        record.codes += diagnoses


def read_header(msh: Segment) -> tuple[str, str]:
    message_type = f"{msh.get(9, 1)}^{msh.get(9, 2)}".upper()
    control_id = msh.get(10)
    if not msh.get(9, 1):
        raise Hl7Rejected("MSH-9 message type is missing", code="101", segment="MSH", field=9)
    if not control_id:
        raise Hl7Rejected("MSH-10 message control id is missing", code="101", segment="MSH", field=10)
    if not msh.get(12).startswith("2."):
        raise Hl7Rejected("MSH-12 version is missing or not HL7 v2", code="203", segment="MSH", field=12)
    if message_type not in SUPPORTED_TYPES:
        code = "201" if msh.get(9, 1).upper() in {kind.split("^")[0] for kind in SUPPORTED_TYPES} else "200"
        shown = re.sub(r"[^A-Z0-9_^]", "", message_type)[:16]  # a coded value, never free text, in our reason
        raise Hl7Rejected(f"unsupported message type {shown}", code=code, segment="MSH", field=9)
    return message_type, control_id[:64]


def check_structure(message_type: str, segments: list[Segment]) -> None:
    ids = {segment.id for segment in segments}
    required = "PID" if message_type.startswith("ADT") else "OBR"
    if required not in ids:
        raise Hl7Rejected(f"{message_type} without a {required} segment", code="100", segment=required)


def check_data_types(segments: list[Segment]) -> None:
    """OBX-5 must match OBX-2 for numeric types (the one rule the samples exercise)."""
    for position, segment in enumerate(segments, start=1):
        if segment.id == "OBX" and segment.get(2).upper() == "NM":
            values = [value for value in segment.repetitions(5) if value.strip()]
            if any(not NUMERIC.match(value) for value in values):
                raise Hl7Rejected(f"OBX-5 of segment {position} is not a number (OBX-2 is NM)", code="102",
                                  ack_code="AE", segment="OBX", sequence=position, field=5)


def read_patient(segments: list[Segment], msh: Segment) -> PatientRecord | None:
    pid = next((segment for segment in segments if segment.id == "PID"), None)
    patient_id = patient_identifier(pid) if pid else ""
    if not patient_id:
        return None
    sex = pid.get(8).upper()[:1]
    return PatientRecord(pseudonym=pseudonymize("pt", patient_id), sex=sex if sex in ("M", "F", "O") else "",
                         age_years=age_in_years(hl7_date(pid.get(7)), hl7_date(msh.get(7)) or date.today()))


def patient_identifier(pid: Segment) -> str:
    """PID-3's MR identifier (the one DICOM PatientID carries), else its first, else PID-2 / PID-4."""
    identifiers = [(pid.get(3, 1, rep), pid.get(3, 5, rep)) for rep in range(1, len(pid.repetitions(3)) + 1)]
    for value, kind in identifiers:
        if value and kind.upper() == "MR":
            return value
    return next((value for value, _ in identifiers if value), "") or pid.get(2) or pid.get(4)


def obr_groups(segments: list[Segment]) -> list[list[Segment]]:
    """Each OBR with the ORC before it and the OBX/NTE/DG1/IPC/ZDS after it, up to the next OBR."""
    groups: list[list[Segment]] = []
    pending_orc: list[Segment] = []
    for segment in segments:
        if segment.id == "ORC":
            pending_orc = [segment]
        elif segment.id == "OBR":
            groups.append([*pending_orc, segment])
            pending_orc = []
        elif groups:
            groups[-1].append(segment)
    return groups


def first(group: list[Segment], segment_id: str) -> Segment | None:
    return next((segment for segment in group if segment.id == segment_id), None)


def read_order(group: list[Segment], msh: Segment) -> OrderRecord:
    obr, orc, ipc = first(group, "OBR"), first(group, "ORC"), first(group, "IPC")
    accession = (ipc.get(1) if ipc else "") or obr.get(18) or obr.get(3) or (orc.get(3) if orc else "")
    placer = obr.get(2) or (orc.get(2) if orc else "")
    modality = (ipc.get(5) if ipc else "") or obr.get(24)
    return OrderRecord(
        source_key=pseudonymize("order", f"{msh.get(4)}|{placer}") if placer else "",
        accession_pseudonym=pseudonymize("acc", accession),
        study_uid=remap_uid(study_uid_of(group)),
        procedure_system=canonical_system(obr.get(4, 3)) or obr.get(4, 3)[:128],
        procedure_code=obr.get(4, 1)[:64], procedure_display=obr.get(4, 2)[:255],
        modality=modality.upper() if modality.upper() in MODALITIES else "",
        status=(orc.get(5) if orc else "") or obr.get(25),
    )


def study_uid_of(group: list[Segment]) -> str:
    ipc, zds = first(group, "IPC"), first(group, "ZDS")
    if ipc and ipc.get(3):
        return ipc.get(3)
    if zds and zds.get(1):
        return zds.get(1)
    return next((segment.get(5) for segment in group
                 if segment.id == "OBX" and segment.get(3, 1) == DICOM_STUDY_UID_CODE), "")


def read_report(group: list[Segment], order: OrderRecord, msh: Segment, *, pseudonym: str) -> ReportRecord:
    """Text and impression as the message has them: scrub_record_text cleans the whole record afterwards."""
    obr = first(group, "OBR")
    identity = obr.get(3) or obr.get(2) or order.accession_pseudonym or f"{msh.get(10)}/{obr.get(1)}"
    lines, impressions = report_lines(group)
    issued = hl7_date(obr.get(22)) or hl7_date(obr.get(7)) or hl7_date(msh.get(7))
    return ReportRecord(
        source_key=pseudonymize("report", f"{msh.get(4)}|{identity}|{obr.get(4, 1)}"),
        accession_pseudonym=order.accession_pseudonym, study_uid=order.study_uid,
        status=REPORT_STATUS.get(obr.get(25).upper()[:1], "unknown"),
        code_system=order.procedure_system, code=order.procedure_code, code_display=order.procedure_display,
        text="\n".join(lines), impression="\n".join(impressions),
        issued=shift_date(issued, pseudonym), codes=read_findings(group) + read_diagnoses(group),
    )


def report_lines(group: list[Segment]) -> tuple[list[str], list[str]]:
    """Readable 'label: value unit' lines of OBX and NTE, and the impression lines among them."""
    lines, impressions = [], []
    for segment in group:
        if segment.id == "NTE" and segment.text(3):
            lines.append(segment.text(3))
        elif segment.id == "OBX" and segment.get(3, 1) != DICOM_STUDY_UID_CODE:
            value = obx_value(segment)
            label = segment.get(3, 2) or segment.get(3, 1)
            line = f"{label}: {value} {segment.get(6)}".strip() if label else value
            lines.append(line)
            if "IMP" in segment.raw(3).upper():
                impressions.append(value)
    return lines, impressions


def obx_value(obx: Segment) -> str:
    if obx.get(2).upper() in PERSON_VALUE_TYPES:
        return REDACTED
    if obx.get(2).upper() in CODED_VALUE_TYPES:
        return "; ".join(filter(None, (obx.get(5, 2, rep) or obx.get(5, 1, rep)
                                       for rep in range(1, len(obx.repetitions(5)) + 1))))
    return obx.text(5)


def read_findings(group: list[Segment]) -> list[CodeRecord]:
    codes = []
    for segment in group:
        if segment.id == "OBX" and segment.get(2).upper() in CODED_VALUE_TYPES:
            code = coded(segment.get(5, 1), segment.get(5, 2), segment.get(5, 3), role="finding", source="hl7-obx")
            codes += [code] if code else []
    return codes


def read_diagnoses(segments: list[Segment]) -> list[CodeRecord]:
    codes = []
    for segment in segments:
        if segment.id == "DG1":
            system_name = segment.get(3, 3) or segment.get(2)
            display = segment.get(3, 2) or segment.get(4)
            code = coded(segment.get(3, 1), display, system_name, role="diagnosis", source="hl7-dg1")
            codes += [code] if code else []
    return codes


def coded(code: str, display: str, system_name: str, *, role: str, source: str) -> CodeRecord | None:
    system = canonical_system(system_name)
    if not code or system not in DIAGNOSIS_SYSTEMS:
        return None
    return CodeRecord(system=system, code=code[:64], display=display[:255], role=role, source=source)


def hl7_date(text: str) -> date | None:
    match = re.match(r"(\d{4})(\d{2})(\d{2})", text or "")
    if not match:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None
