"""build_ack: AA / AE / AR acknowledgements that an independent parser (hl7apy, strict) accepts."""
import hl7
import pytest
from hl7apy.parser import parse_message
from hl7apy.validation import VALIDATION_LEVEL

from ingest.hl7_ack import build_ack
from ingest.parsers.hl7_segments import Hl7Rejected

ERROR = Hl7Rejected("OBX-5 of segment 4 is not a number (OBX-2 is NM)", code="102", ack_code="AE",
                    segment="OBX", sequence=4, field=5)


def message(version: str) -> str:
    return f"MSH|^~\\&|RIS|HOSP|CBIR|CBIR|20240101||ORU^R01|CTRL-1|P|{version}\rPID|1||X^^^H^MR\rOBR|1\r"


# hl7apy knows no ACK_<event> structure for v2.3, so its strict check starts at v2.3.1.
@pytest.mark.parametrize("version", ["2.3.1", "2.4", "2.5.1", "2.8"])
@pytest.mark.parametrize("error", [None, ERROR])
def test_ack_passes_strict_hl7apy_validation_for_the_message_version(version, error):
    ack = parse_message(build_ack(message(version), error=error), validation_level=VALIDATION_LEVEL.STRICT)

    ack.validate()
    assert ack.msa.msa_1.value == ("AE" if error else "AA")
    assert ack.msa.msa_2.value == "CTRL-1"
    assert ack.msh.msh_12.to_er7() == version


def test_v23_ack_has_two_component_message_type_and_err1_only():
    ack = build_ack(message("2.3"), error=ERROR).split("\r")

    assert ack[0].split("|")[8] == "ACK^R01"
    assert ack[2] == "ERR|OBX^4^5^102&Data type error&HL70357"


def test_v28_ack_puts_the_reason_in_err8_because_msa3_is_withdrawn():
    msa, err = build_ack(message("2.8"), error=ERROR).split("\r")[1:3]

    assert msa == "MSA|AE|CTRL-1"
    assert err.endswith("|OBX-5 of segment 4 is not a number (OBX-2 is NM)")


def test_error_ack_carries_reason_in_msa3_and_code_location_in_err():
    ack = build_ack(message("2.5.1"), error=ERROR)

    msa, err = ack.split("\r")[1:3]
    assert msa == "MSA|AE|CTRL-1|OBX-5 of segment 4 is not a number (OBX-2 is NM)"
    assert err.startswith("ERR|OBX^4^5^102&Data type error&HL70357|OBX^4^5|102^Data type error^HL70357|E|")


def test_nak_for_unreadable_input_has_an_empty_msa2_and_a_default_version_header():
    ack = build_ack("garbage|with|pipes^and~escapes\\", error=Hl7Rejected("no MSH", code="100"))

    parsed = hl7.parse(ack)
    assert str(parsed.segment("MSA")[1]) == "AR" and str(parsed.segment("MSA")[2]) == ""
    assert str(parsed.segment("MSH")[12]) == "2.5.1"


def test_echoed_sender_fields_are_escaped():
    text = "MSH|^~\\&|APP\\F\\X|FAC\\S\\Y|C|C|2024||ORU^R01|1|P|2.5.1"

    header = build_ack(text).split("\r")[0].split("|")

    assert header[4:6] == ["APP\\F\\X", "FAC\\S\\Y"]
