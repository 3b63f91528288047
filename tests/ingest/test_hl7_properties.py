"""Property tests: no text makes the HL7 path fail with anything but Hl7Rejected (-> NAK)."""
import hl7
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ingest.clinical_records import ClinicalRecord
from ingest.hl7_ack import ERROR_TEXTS, build_ack
from ingest.parsers.hl7 import parse_hl7_message
from ingest.parsers.hl7_segments import Hl7Rejected
from tests.factories import hl7_oru_message

HL7_ALPHABET = st.sampled_from(list("MSHPIDOBXRC|^~\\&\r\n 0123456789.-+AaZz#")) | st.characters()
SEGMENT_IDS = st.sampled_from(["MSH", "PID", "NK1", "PV1", "ORC", "OBR", "OBX", "NTE", "DG1", "IPC", "ZDS", "msh", "X"])


def parse_or_reject(text: str):
    try:
        return parse_hl7_message(text)
    except Hl7Rejected as error:
        return error


def assert_record_or_proper_rejection(outcome) -> None:
    if isinstance(outcome, Hl7Rejected):
        assert outcome.code in ERROR_TEXTS and outcome.ack_code in ("AE", "AR") and outcome.message
    else:
        assert isinstance(outcome, ClinicalRecord) and outcome.message_key.startswith("msg-")


@settings(max_examples=300, deadline=None)
@given(st.text(HL7_ALPHABET, max_size=300))
def test_arbitrary_text_is_parsed_or_rejected_and_always_gets_a_parsable_ack(text):
    outcome = parse_or_reject(text)

    assert_record_or_proper_rejection(outcome)
    ack = build_ack(text, error=outcome if isinstance(outcome, Hl7Rejected) else None)
    expected = outcome.ack_code if isinstance(outcome, Hl7Rejected) else "AA"
    assert str(hl7.parse(ack).segment("MSA")[1]) == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(SEGMENT_IDS, st.lists(st.text(HL7_ALPHABET, max_size=12), max_size=8)), max_size=8),
       st.sampled_from(["\r", "\n", "\r\n"]))
def test_segment_shaped_noise_after_a_valid_header_never_crashes(segments, separator):
    header = "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1"
    body = [f"{segment_id}|{'|'.join(fields)}" for segment_id, fields in segments]

    outcome = parse_or_reject(separator.join([header, *body]))

    assert_record_or_proper_rejection(outcome)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=400), st.text(HL7_ALPHABET, min_size=1, max_size=5))
@example(position=9, noise="\ud800")  # a lone surrogate once crashed the message key's digest
def test_corrupting_a_valid_message_never_crashes(position, noise):
    message = hl7_oru_message(control_id="P1")

    outcome = parse_or_reject(message[:position] + noise + message[position:])

    assert_record_or_proper_rejection(outcome)


@pytest.mark.parametrize("text", ["", "MSH", "MSH|", "MSH|^~\\&", "MSH|^~\\&|", "\x0b\x1c\r", "MSH|^^^^|"])
def test_degenerate_headers_are_rejected(text):
    assert isinstance(parse_or_reject(text), Hl7Rejected)


@pytest.mark.django_db
@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(SEGMENT_IDS, st.lists(st.text(HL7_ALPHABET, max_size=12), max_size=8)), max_size=6))
def test_receive_path_answers_every_input_and_stores_nothing_when_it_naks(segments):
    from ingest.hl7_intake import receive_hl7_message
    from ingest.models import InboundMessage, Rejection

    text = "\r".join(["MSH|^~\\&|A|B|C|D|20240101||ORU^R01|PROP|P|2.5.1",
                      *(f"{segment_id}|{'|'.join(fields)}" for segment_id, fields in segments)])
    before = (InboundMessage.objects.count(), Rejection.objects.count())

    reply = receive_hl7_message(text=text, channel="hl7-http")

    after = (InboundMessage.objects.count(), Rejection.objects.count())
    assert str(hl7.parse(reply.ack).segment("MSA")[1]) == reply.ack_code
    if reply.ack_code == "AA":
        assert after[1] == before[1]
    else:
        assert after == (before[0], before[1] + 1)
