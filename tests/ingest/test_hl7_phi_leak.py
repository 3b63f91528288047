"""PHI leak test: markers planted in PID, NK1, PV1, GT1, IN1 and in free text never come out."""
from __future__ import annotations

import io
import logging
from pathlib import Path

import hl7
import pytest
from django.conf import settings
from django.core.management import call_command
from hl7.client import MLLPClient

from ingest.hl7_listener import ListenerThread
from ingest.models import Report
from tests.factories import dicom_bytes
from tests.ingest.test_hl7_listener import free_port

MARKER = "QXPHI"


def marked_message(control_id: str) -> str:
    m = {n: f"{MARKER}{n:02d}" for n in range(1, 30)}
    segments = [
        f"MSH|^~\\&|RIS|HOSP|CBIR|CBIR|20240103120000||ORU^R01^ORU_R01|{control_id}|P|2.5.1",
        f"PID|1|{m[1]}|{m[2]}^^^HOSP^MR~{m[3]}^^^SSA^SS|{m[4]}|{m[5]}^{m[6]}^{m[7]}|{m[8]}^MAIDEN|19700101|F|"
        f"{m[9]}^ALIAS||{m[10]} Main Street^{m[11]}^{m[12]}^CA^{m[13]}||^PRN^PH^{m[14]}@mail.test^^555^{m[15]}"
        f"||||||{m[16]}|{m[17]}",
        f"NK1|1|{m[18]}^{m[19]}|MTH^Mother^HL70063|{m[20]} Oak Road^^{m[21]}^CA|^PRN^PH^^^555^{m[22]}",
        f"PV1|1|I|WARD^1^2|||||{m[23]}^{m[24]}^ATTENDING|||||||||||{m[25]}",
        f"GT1|1|{m[26]}|{m[27]}^GUARANTOR",
        f"IN1|1|PLAN||INSURER|||||||||||||{m[28]}^INSURED",
        f"ORC|RE|{m[29]}|ACC-PHI",
        f"OBR|1|{m[29]}|ACC-PHI|71020^CHEST XRAY FOR {m[5]}^C4|||20240102090000|||||||||||ACC-PHI||||20240103110000"
        "||CR|F",
        f"OBX|1|TX|18782-3^Study observation^LN||Patient {m[5]} {m[6]} (MRN {m[2]}, born 01/01/1970, "
        f"order {m[29]}) examined; mother {m[18]} present.||||||F",
        f"NTE|1|L|Call {m[15]} or write to {m[10]} Main Street re {m[6].lower()}.",
        f"OBX|2|TX|19005-8^Impression^LN||Pneumonia in {m[5]}.||||||F",
        # identifiers no field declares, caught by their shape alone
        f"OBX|3|TX|18782-3^Study observation^LN||Seen with Mrs Qxphiokafor; outside MRN {MARKER}30, account "
        f"#{MARKER}31, write to {MARKER.lower()}32@clinic.test.||||||F",
        f"DG1|1||486^Pneumonia in {m[5]}^I9C||",
    ]
    return "\r".join(segments) + "\r"


def assert_no_marker(text: str, where: str) -> None:
    index = text.lower().find(MARKER.lower())
    assert index < 0, f"PHI marker found in {where}: ...{text[max(0, index - 150):index + 40]}"


@pytest.fixture
def listener(transactional_db):
    server = ListenerThread("127.0.0.1", free_port()).start()
    yield server
    server.stop()


def test_hl7_identifiers_never_reach_database_files_responses_or_logs(listener, client, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    from ingest.services import ingest_image_bytes
    from tests.factories import make_dataset

    ingest_image_bytes(data=dicom_bytes(PatientID="QXPHI02", AccessionNumber="ACC-PHI"), dataset=make_dataset("phi"))
    with MLLPClient("127.0.0.1", listener.port) as mllp:
        mllp_ack = mllp.send_message(marked_message("PHI-1")).decode()
    http_ack = client.post("/api/hl7/", data=marked_message("PHI-2").encode(), content_type="text/plain")

    dump = io.StringIO()
    call_command("dumpdata", "ingest", stdout=dump)
    report = Report.objects.get()
    assert str(hl7.parse(mllp_ack).segment("MSA")[1]) == "AA"
    assert "[redacted]" in report.text and report.study is not None
    assert "1970" not in report.text and "[date]" in report.text
    for where, text in [("mllp ack", mllp_ack), ("http ack", http_ack.content.decode()), ("dumpdata", dump.getvalue()),
                        ("logs", caplog.text), ("stderr/stdout", "".join(capfd.readouterr()))]:
        assert_no_marker(text, where)
    for folder in {Path(settings.MEDIA_ROOT), Path(settings.VAR_DIR)}:
        for path in folder.rglob("*") if folder.exists() else []:
            if path.is_file():
                assert_no_marker(path.read_bytes().decode("latin-1"), str(path))
