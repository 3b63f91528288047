"""The MLLP listener: real python-hl7 MLLPClient and the mllp_send CLI against a loopback port."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import hl7
import pytest
from hl7.client import MLLPClient

from ingest.hl7_listener import ListenerThread
from ingest.models import CodedConcept, InboundMessage, Order, Patient, Rejection, Report
from tests.factories import hl7_oru_message

MALFORMED = {"malformed_msh_present_but_missing_all_fields.hl7": "AR",
             "malformed_msh_present_but_missing_msh-10.hl7": "AR",
             "malformed_msh_present_but_missing_msh-9.hl7": "AR",
             "malformed_orm_obx-5_is_not_a_numeric_value.hl7": "AE"}
UNSUPPORTED = {"Natus_001_Natus_ACK.hl7": "AR"}  # an ACK is not a message we take in


def free_port() -> int:
    """A loopback port in 12600-12699, the range these tests may use on the shared machine."""
    for port in range(12600, 12700):
        with socket.socket() as trial:
            try:
                trial.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 12600-12699")


@pytest.fixture
def listener(transactional_db):
    server = ListenerThread("127.0.0.1", free_port()).start()
    yield server
    server.stop()


def sample_files(datasets_dir: Path) -> list[Path]:
    return sorted((datasets_dir / "interop_samples" / "hl7v2").glob("*.hl7"))


def send(port: int, text: str) -> hl7.Message:
    with MLLPClient("127.0.0.1", port) as client:
        return hl7.parse(client.send_message(text).decode("utf-8"))


def stored_counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (InboundMessage, Patient, Order, Report, CodedConcept))


def test_listener_answers_every_sample_message_with_the_expected_ack(listener, datasets_dir):
    files = sample_files(datasets_dir)
    expected = MALFORMED | UNSUPPORTED

    codes = {path.name: str(send(listener.port, path.read_text("utf-8")).segment("MSA")[1]) for path in files}

    assert len(files) == 19
    assert codes == {path.name: expected.get(path.name, "AA") for path in files}


def test_listener_stores_nothing_for_malformed_messages_and_records_rejections(listener, datasets_dir):
    folder = datasets_dir / "interop_samples" / "hl7v2"

    for name in MALFORMED:
        ack = send(listener.port, (folder / name).read_text("utf-8"))
        assert str(ack.segment("MSA")[1]) in ("AE", "AR")
        assert str(ack.segment("ERR")[3][0][0]) in ("101", "102")

    assert stored_counts() == (0, 0, 0, 0, 0)
    assert Rejection.objects.filter(channel="hl7-mllp").count() == len(MALFORMED)


@pytest.mark.parametrize("text, error_code", [
    ("PID|1||X^^^H^MR||NAME^X\rOBR|1", "100"),  # missing MSH
    ("MSH|^~|RIS|H|C|C|2024||ORU^R01|C1|P|2.5.1\rOBR|1", "102"),  # bad encoding characters
    ("MSH|^~\\&|RIS|H|C|C|2024||ORU^R01|C2|P|2.5.1\rOBR|1\r%%%|bad segment", "100"),  # bad segment id
])
def test_listener_naks_malformed_messages_and_stores_nothing(listener, text, error_code):
    ack = send(listener.port, text)

    assert str(ack.segment("MSA")[1]) == "AR"
    assert str(ack.segment("ERR")[3][0][0]) == error_code
    assert stored_counts() == (0, 0, 0, 0, 0)
    assert Rejection.objects.get().channel == "hl7-mllp"


def test_listener_echoes_control_id_and_puts_reason_in_msa3(listener):
    message = hl7_oru_message(control_id="CTRL-42", extra_segments=("OBX|9|NM|1^W^LN||heavy||||||F",))

    ack = send(listener.port, message)

    assert str(ack.segment("MSA")[1]) == "AE"
    assert str(ack.segment("MSA")[2]) == "CTRL-42"
    assert "not a number" in str(ack.segment("MSA")[3])
    assert str(ack.segment("MSH")[9]) == "ACK^R01^ACK"


def test_listener_treats_a_resent_control_id_as_a_no_op(listener):
    message = hl7_oru_message(control_id="DUP-1")

    first, second = send(listener.port, message), send(listener.port, message)

    assert str(first.segment("MSA")[1]) == str(second.segment("MSA")[1]) == "AA"
    assert InboundMessage.objects.count() == 1 and Report.objects.count() == 1


def test_a_reused_control_id_with_new_content_is_stored_not_dropped(listener):
    first = send(listener.port, hl7_oru_message(control_id="RESET-1", accession="ACC-7"))

    second = send(listener.port, hl7_oru_message(control_id="RESET-1", accession="ACC-8"))

    assert str(first.segment("MSA")[1]) == str(second.segment("MSA")[1]) == "AA"
    assert InboundMessage.objects.count() == 2 and Report.objects.count() == 2


def test_listener_keeps_running_after_garbage_and_serves_the_next_message(listener):
    garbage = send(listener.port, "\x00\xff not hl7 at all |||")

    good = send(listener.port, hl7_oru_message())

    assert str(garbage.segment("MSA")[1]) == "AR"
    assert str(good.segment("MSA")[1]) == "AA"


def test_listener_handles_several_messages_on_one_connection(listener):
    with MLLPClient("127.0.0.1", listener.port) as client:
        acks = [hl7.parse(client.send_message(hl7_oru_message(accession=f"ACC-{n}")).decode()) for n in range(3)]

    assert [str(ack.segment("MSA")[1]) for ack in acks] == ["AA", "AA", "AA"]
    assert Report.objects.count() == 3


def test_listener_replaces_a_corrected_report_for_the_same_order(listener):
    send(listener.port, hl7_oru_message(accession="ACC-5", impression="Preliminary read."))

    send(listener.port, hl7_oru_message(accession="ACC-5", impression="Corrected read."))

    assert Report.objects.get().impression == "Corrected read."
    assert InboundMessage.objects.count() == 2


def test_mllp_send_cli_delivers_sample_files(listener, datasets_dir, tmp_path):
    mllp_send = shutil.which("mllp_send") or str(Path(sys.executable).parent / "mllp_send")
    sample = datasets_dir / "interop_samples" / "hl7v2" / "Oracle_004_Oracle_ORU_R01.hl7"
    framed = tmp_path / "framed.hl7"
    framed.write_bytes(b"\x0b" + sample.read_bytes().replace(b"\n", b"\r") + b"\x1c\r")

    loose = subprocess.run([mllp_send, "--loose", "-p", str(listener.port), "-f", str(sample), "127.0.0.1"],
                           capture_output=True, text=True, timeout=30)
    strict = subprocess.run([mllp_send, "-p", str(listener.port), "-f", str(framed), "127.0.0.1"],
                            capture_output=True, text=True, timeout=30)

    assert loose.returncode == 0 and "MSA|AA|20230317-29887.E.106214" in loose.stdout
    assert strict.returncode == 0 and "MSA|AA|20230317-29887.E.106214" in strict.stdout
    assert InboundMessage.objects.count() == 1
    assert Report.objects.get().text.startswith("Albumin Urine: 2.1 mg/dL")


def raw_exchange(port: int, payload: bytes, replies: int) -> list[hl7.Message]:
    """Send raw bytes (framing included) and read `replies` framed ACKs."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(payload)
        data = b""
        while data.count(b"\x1c\r") < replies:
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
    return [hl7.parse(frame.lstrip(b"\x0b").decode("utf-8")) for frame in data.split(b"\x1c\r") if frame.strip()]


def frame(text: str) -> bytes:
    return b"\x0b" + text.encode("utf-8") + b"\x1c\r"


def test_a_restarted_frame_drops_the_abandoned_partial_message(listener):
    from ingest.pseudonyms import pseudonymize

    abandoned = hl7_oru_message(control_id="MSG-A", patient_id="PAT-AAA")
    complete = hl7_oru_message(control_id="MSG-B", patient_id="PAT-BBB", report_text="Finding of patient B.")

    [ack] = raw_exchange(listener.port, b"\x0b" + abandoned[: len(abandoned) // 2].encode() + frame(complete), 1)

    assert str(ack.segment("MSA")[1]) == "AA" and str(ack.segment("MSA")[2]) == "MSG-B"
    report = Report.objects.get()
    assert "patient B" in report.text and report.patient.pseudonym == pseudonymize("pt", "PAT-BBB")


def test_stray_bytes_between_frames_do_not_lose_the_next_message(listener):
    first, second = hl7_oru_message(control_id="MSG-1"), hl7_oru_message(control_id="MSG-2", accession="ACC-2")

    acks = raw_exchange(listener.port, b"\r\n" + frame(first) + b"\n" + frame(second), 2)

    assert [(str(a.segment("MSA")[1]), str(a.segment("MSA")[2])) for a in acks] == [("AA", "MSG-1"), ("AA", "MSG-2")]
    assert InboundMessage.objects.count() == 2


def test_a_silent_connection_is_closed_after_the_idle_timeout(listener, settings):
    settings.HL7_IDLE_TIMEOUT_SECONDS = 0.5

    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as connection:
        connection.sendall(b"\x0bMSH|^~\\&|")  # a frame that never ends
        assert connection.recv(1024) == b""  # the listener hung up


def test_a_year_one_date_is_dropped_instead_of_breaking_the_message(client):
    from tests.factories import make_user

    client.force_login(make_user("curator"))
    text = hl7_oru_message(control_id="MSG-Y1").replace("|20240103110000||", "|00010105||")  # OBR-22 in year 1

    response = client.post("/api/hl7/", data=text.encode(), content_type="text/plain")

    assert response.status_code == 200 and response["X-HL7-Ack-Code"] == "AA"
    from ingest.models import Report

    report = Report.objects.get()
    assert report.issued is None and report.text  # the date is dropped, the rest of the report kept


def test_an_unexpected_failure_is_an_ae_ack_over_http_too(client, monkeypatch):
    from ingest import hl7_intake
    from tests.factories import make_user

    client.force_login(make_user("curator"))
    monkeypatch.setattr(hl7_intake, "store_clinical_record", lambda record: 1 / 0)

    response = client.post("/api/hl7/", data=hl7_oru_message().encode(), content_type="text/plain")

    assert response.status_code == 200 and response["X-HL7-Ack-Code"] == "AE"
    assert "ZeroDivision" not in response.content.decode()


def test_the_declared_character_set_decides_how_text_is_read(listener):
    header = "MSH|^~\\&|RIS|HOSP|CBIR|CBIR|20240103120000||ORU^R01^ORU_R01|{id}|P|2.5.1||||||{charset}"

    def stored_text(control_id: str, charset: str, report: bytes) -> str:
        body = hl7_oru_message(accession=f"ACC-{control_id}").split("\r", 1)[1]
        text = (header.format(id=control_id, charset=charset) + "\r" + body).encode("ascii")
        [ack] = raw_exchange(listener.port, frame_bytes(text.replace(b"No focal consolidation.", report)), 1)
        assert str(ack.segment("MSA")[1]) == "AA"
        return Report.objects.order_by("-pk").first().text

    latin = stored_text("CS-1", "8859/1", "Température 38°C".encode("latin-1"))
    utf8 = stored_text("CS-2", "UNICODE UTF-8", "Température 38°C".encode("utf-8"))
    escaped = stored_text("CS-3", "UNICODE UTF-8", b"38\\XC2B0\\C")
    latin_like_utf8 = stored_text("CS-4", "8859/1", "Ã©".encode("latin-1"))  # bytes C3 A9: valid UTF-8 too

    assert "Température 38°C" in latin and "Température 38°C" in utf8 and "38°C" in escaped
    assert "Ã©" in latin_like_utf8


def frame_bytes(data: bytes) -> bytes:
    return b"\x0b" + data + b"\x1c\r"


def test_enhanced_mode_gets_commit_acknowledgments(listener):
    text = hl7_oru_message(control_id="ENH-1").replace("|P|2.5.1", "|P|2.5.1|||AL|NE", 1)

    ack = send(listener.port, text)

    assert str(ack.segment("MSA")[1]) == "CA" and str(ack.segment("MSA")[2]) == "ENH-1"
