"""HL7 v2 text -> validated segments: CR/LF normalisation, encoding characters, escapes.

Hl7Rejected carries what an ACK needs: the HL7 table 0357 error code, the ACK code
(AR: not processed at all, AE: processed but refused) and the error location.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.errors import IngestError

SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}\Z")
MLLP_FRAMING = "\x0b\x1c"


class Hl7Rejected(IngestError):
    """A message we refuse; the reason text never contains message content."""

    def __init__(self, message: str, *, code: str = "207", ack_code: str = "AR", segment: str = "",
                 sequence: int = 1, field: int | None = None):
        super().__init__(message)
        self.code = code  # HL7 table 0357: 100 segment sequence, 101 required field, 102 data type, 200 type, ...
        self.ack_code = ack_code
        self.segment = segment
        self.sequence = sequence
        self.field = field


@dataclass(frozen=True)
class Encoding:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


class Segment:
    """One segment; `get(n)` is field n as in the standard (MSH-1 is the field separator)."""

    def __init__(self, text: str, encoding: Encoding):
        self.id = text[:3]
        self.encoding = encoding
        parts = text.split(encoding.field)
        # MSH-1 is the separator itself, so MSH field n sits at parts[n - 1].
        self.fields = [parts[0], encoding.field, *parts[1:]] if self.id == "MSH" else parts

    def raw(self, number: int) -> str:
        return self.fields[number] if 0 < number < len(self.fields) else ""

    def repetitions(self, number: int) -> list[str]:
        if self.id == "MSH" and number <= 2:
            return [self.raw(number)]
        return self.raw(number).split(self.encoding.repetition)

    def components(self, number: int, repetition: int = 1) -> list[str]:
        reps = self.repetitions(number)
        text = reps[repetition - 1] if repetition <= len(reps) else ""
        return [unescape(part.split(self.encoding.subcomponent)[0], self.encoding)
                for part in text.split(self.encoding.component)]

    def get(self, number: int, component: int = 1, repetition: int = 1) -> str:
        parts = self.components(number, repetition)
        return parts[component - 1].strip() if component <= len(parts) else ""

    def text(self, number: int) -> str:
        """The whole field, escapes resolved, repetitions on separate lines."""
        return "\n".join(unescape(rep, self.encoding) for rep in self.repetitions(number)).strip()


def unescape(text: str, encoding: Encoding) -> str:
    if encoding.escape not in text:
        return text
    esc = re.escape(encoding.escape)
    return re.sub(f"{esc}([^{esc}]*){esc}", lambda match: _escape_value(match.group(1), encoding), text)


def _escape_value(sequence: str, encoding: Encoding) -> str:
    simple = {"F": encoding.field, "S": encoding.component, "T": encoding.subcomponent,
              "R": encoding.repetition, "E": encoding.escape, ".br": "\n"}
    if sequence in simple:
        return simple[sequence]
    if sequence.startswith("X") and re.fullmatch(r"X(?:[0-9A-Fa-f]{2})+", sequence):
        return decode_undeclared(bytes.fromhex(sequence[1:]))  # bytes in the message's (unknown here) set
    return ""  # formatting (\H\, \N\, \.sp\ ...) and unknown escapes carry no text


def decode_undeclared(data: bytes) -> str:
    """Bytes whose character set nobody named: UTF-8 (what most senders use), else Latin-1, never an error."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def split_segments(text: str) -> tuple[list[Segment], Encoding]:
    """Normalise separators and framing, validate MSH and segment ids; raises Hl7Rejected."""
    lines = [line for line in re.split(r"\r\n|\r|\n", text.strip(MLLP_FRAMING + " \t\r\n\0")) if line.strip()]
    if not lines or not lines[0].startswith("MSH"):
        raise Hl7Rejected("message does not start with an MSH segment", code="100", segment="MSH")
    encoding = read_encoding(lines[0])
    segments = []
    for position, line in enumerate(lines, start=1):
        if not SEGMENT_ID.match(line[:3]) or (len(line) > 3 and line[3] != encoding.field):
            raise Hl7Rejected(f"segment {position} has no valid segment id", code="100", sequence=position)
        if position > 1 and line[:3] == "MSH":
            raise Hl7Rejected("more than one MSH segment (batches are not supported)", code="100",
                              segment="MSH", sequence=position)
        segments.append(Segment(line.rstrip(), encoding))
    return segments, encoding


def read_encoding(msh: str) -> Encoding:
    """MSH-1 and MSH-2 -> Encoding; four distinct non-alphanumeric characters (a fifth, '#', is allowed)."""
    if len(msh) < 8:
        raise Hl7Rejected("MSH has no encoding characters", code="102", segment="MSH", field=2)
    separator = msh[3]
    characters = msh[4:].split(separator, 1)[0]
    allowed_lengths = (4, 5)
    distinct = len(set(characters + separator)) == len(characters) + 1
    if (separator.isalnum() or separator.isspace() or len(characters) not in allowed_lengths or not distinct
            or any(char.isalnum() or char.isspace() for char in characters)):
        raise Hl7Rejected("MSH-1/MSH-2 encoding characters are invalid", code="102", segment="MSH", field=2)
    component, repetition, escape, subcomponent = characters[:4]
    return Encoding(separator, component, repetition, escape, subcomponent)
