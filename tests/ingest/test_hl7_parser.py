"""parse_hl7_message: validation, de-identified extraction, LF/CR handling."""
from __future__ import annotations

import pytest

from ingest.codes import ICD9_CM, SNOMED
from ingest.parsers.hl7 import parse_hl7_message
from ingest.parsers.hl7_segments import Hl7Rejected
from ingest.pseudonyms import pseudonymize, remap_uid
from tests.factories import hl7_oru_message


def test_parse_oru_pseudonymizes_patient_accession_and_study_uid():
    record = parse_hl7_message(hl7_oru_message(patient_id="P-1", accession="A-1", study_uid="1.2.3.4"))

    report = record.reports[0]
    assert record.patient.pseudonym == pseudonymize("pt", "P-1")
    assert report.accession_pseudonym == pseudonymize("acc", "A-1")
    assert report.study_uid == remap_uid("1.2.3.4")


def test_parse_oru_keeps_age_not_birth_date():
    record = parse_hl7_message(hl7_oru_message(birth_date="19700615"))

    assert record.patient.age_years == 53  # message dated 2024-01-03
    assert "1970" not in repr(record)


def test_parse_oru_reads_report_text_impression_status_and_codes():
    record = parse_hl7_message(hl7_oru_message(report_text="Clear lungs.", impression="Pneumonia RLL."))

    report = record.reports[0]
    assert "Clear lungs." in report.text
    assert report.impression == "Pneumonia RLL."
    assert report.status == "final"
    assert {(code.system, code.code, code.role) for code in report.codes} == {
        (SNOMED, "233604007", "finding"), (ICD9_CM, "486", "diagnosis")}


def test_parse_oru_scrubs_patient_name_and_id_from_free_text():
    message = hl7_oru_message(family="ZZMARKERFAMILY", given="ZZMARKERGIVEN", patient_id="ZZMRN99",
                              report_text="Patient Zzmarkerfamily (ZZMRN99) seen; zzmarkergiven stable.")

    text = parse_hl7_message(message).reports[0].text

    assert "zzmarker" not in text.lower() and "ZZMRN99" not in text
    assert "[redacted]" in text


def test_parse_drops_obx_values_of_person_name_address_and_phone_types():
    message = hl7_oru_message(extra_segments=("OBX|4|XPN|1^Provider^L||SMITH^ANNA||||||F",
                                              "OBX|5|XAD|2^Practice address^L||1 Road^^Town||||||F"))

    text = parse_hl7_message(message).reports[0].text

    assert "SMITH" not in text and "1 Road" not in text
    assert "Provider: [redacted]" in text


def test_parse_shifts_issued_date_consistently_per_patient():
    first = parse_hl7_message(hl7_oru_message(patient_id="P-9")).reports[0].issued
    second = parse_hl7_message(hl7_oru_message(patient_id="P-9")).reports[0].issued

    assert first == second
    assert first.isoformat() != "2024-01-03"


def test_parse_accepts_lf_and_crlf_segment_separators():
    message = hl7_oru_message(control_id="LF1")

    for separator in ("\n", "\r\n"):
        record = parse_hl7_message(message.replace("\r", separator))
        assert record.control_id == "LF1" and len(record.reports) == 1


def test_parse_adt_reads_demographics_only():
    message = "\r".join(["MSH|^~\\&|ADT|H|CBIR|CBIR|20240101||ADT^A08|A8|P|2.5.1",
                         "PID|1||P-2^^^H^MR||ROE^RICHARD||19800101|M",
                         "DG1|1||J18.9^Pneumonia, unspecified organism^I10||"])

    record = parse_hl7_message(message)

    assert record.message_type == "ADT^A08"
    assert (record.patient.sex, record.patient.age_years) == ("M", 44)
    assert [code.code for code in record.codes] == ["J18.9"]


@pytest.mark.parametrize("pid, expected", [
    ("PID|1||123-45-6789^^^SSA^SS~MRN-7^^^H^MR||DOE^JANE||19800101|F", "MRN-7"),  # the MR repetition, not the first
    ("PID|1||OTHER-1^^^H^PI~OTHER-2^^^H^AN||DOE^JANE||19800101|F", "OTHER-1"),  # no MR: the first
    ("PID|1|EXT-9|||DOE^JANE||19800101|F", "EXT-9"),  # no PID-3 at all: PID-2
])
def test_the_patient_key_is_the_identifier_dicom_also_carries(pid, expected):
    message = "\r".join(["MSH|^~\\&|ADT|H|CBIR|CBIR|20240101||ADT^A08|A9|P|2.5.1", pid])

    record = parse_hl7_message(message)

    assert record.patient.pseudonym == pseudonymize("pt", expected)  # so reports reach that patient's images
    assert "123-45-6789" not in repr(record) and "MRN-7" not in repr(record)


def test_parse_omi_reads_accession_and_study_uid_from_ipc():
    message = "\r".join(["MSH|^~\\&|RIS|H|CBIR|CBIR|20240101||OMI^O23|O1|P|2.5.1",
                         "PID|1||P-3^^^H^MR||ROE^ANN",
                         "ORC|NW|PL-1", "OBR|1|PL-1||CTCHEST^CT chest^L",
                         "IPC|ACC-9|RP-1|1.2.840.99|SPS-1|CT"])

    order = parse_hl7_message(message).orders[0]

    assert order.accession_pseudonym == pseudonymize("acc", "ACC-9")
    assert order.study_uid == remap_uid("1.2.840.99")
    assert order.modality == "CT"


@pytest.mark.parametrize("text, code", [
    ("PID|1||X", "100"),
    ("MSH|", "102"),
    ("MSH|^~\\|RIS|H", "102"),
    ("MSH|^~\\&|RIS|H|C|C|2024||ORU^R01|1|P|2.5.1\rpid|1", "100"),
    ("MSH|^~\\&|RIS|H|C|C|2024||ORU^R01||P|2.5.1\rOBR|1", "101"),
    ("MSH|^~\\&|RIS|H|C|C|2024|||1|P|2.5.1", "101"),
    ("MSH|^~\\&|RIS|H|C|C|2024||SIU^S12|1|P|2.5.1", "200"),
    ("MSH|^~\\&|RIS|H|C|C|2024||ORU^R30|1|P|2.5.1", "201"),
    ("MSH|^~\\&|RIS|H|C|C|2024||ORU^R01|1|P|3.0", "203"),
    ("MSH|^~\\&|RIS|H|C|C|2024||ORU^R01|1|P|2.5.1\rPID|1", "100"),
])
def test_parse_rejects_malformed_messages_with_hl7_error_code(text, code):
    with pytest.raises(Hl7Rejected) as caught:
        parse_hl7_message(text)

    assert caught.value.code == code
    assert caught.value.ack_code == "AR"


def test_parse_refuses_non_numeric_nm_value_with_application_error():
    message = hl7_oru_message(extra_segments=("OBX|4|NM|8339-4^Birth weight^LN||NOVALUE|g||||F",))

    with pytest.raises(Hl7Rejected) as caught:
        parse_hl7_message(message)

    assert (caught.value.code, caught.value.ack_code, caught.value.segment, caught.value.field) == (
        "102", "AE", "OBX", 5)
