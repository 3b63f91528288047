"""HL7 v2 acknowledgements: AA, or AE/AR with the reason in MSA-3 and an ERR segment."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

from django.conf import settings

from ingest.parsers.hl7_segments import Encoding, Hl7Rejected, Segment, read_encoding

ERROR_TEXTS = {  # HL7 table 0357
    "100": "Segment sequence error", "101": "Required field missing", "102": "Data type error",
    "103": "Table value not found", "200": "Unsupported message type", "201": "Unsupported event code",
    "202": "Unsupported processing id", "203": "Unsupported version id", "207": "Application internal error",
}
COMMIT_CODES = {"AA": "CA", "AE": "CE", "AR": "CR"}
DEFAULT_VERSION = "2.5.1"
DEFAULT_VERSION_NUMBERS = (2, 5, 1)


def build_ack(text: str, *, error: Hl7Rejected | None = None) -> str:
    """The ACK for message `text`: AA without an error, else the error's AE/AR with MSA-3 and ERR."""
    msh = lenient_msh(text)
    version = message_version(msh)
    ack_code = error.ack_code if error else "AA"
    if msh and msh.get(15) and msh.get(16) in ("", "NE"):
        # Enhanced mode asking for an accept acknowledgment only: the commit codes (stored, or why not).
        # When MSH-16 also asks for the application acknowledgment, this one answer is that one: the
        # message is processed before we reply, so the application's verdict is already known.
        ack_code = COMMIT_CODES[ack_code]
    segments = [ack_header(msh, version), f"MSA|{ack_code}|{escape(msh.get(10) if msh else '')}"]
    if error:
        if version < (2, 7):  # MSA-3 was withdrawn in v2.7; from then on the reason is in ERR-8 only
            segments[1] += f"|{escape(error.message)}"
        segments.append(err_segment(error, version))
    return "\r".join(segments) + "\r"


def message_version(msh: Segment | None) -> tuple[int, ...]:
    numbers = re.findall(r"\d+", msh.get(12))[:3] if msh else []
    return tuple(int(number) for number in numbers) or DEFAULT_VERSION_NUMBERS


def ack_header(msh: Segment | None, version: tuple[int, ...]) -> str:
    """MSH of the ACK: sender and receiver swapped, same version and processing id as the message."""
    application = getattr(settings, "HL7_APPLICATION", "CBIR")
    facility = getattr(settings, "HL7_FACILITY", "CBIR")
    values = {"receiver_app": "", "receiver_facility": "", "event": "", "processing": "P",
              "version": DEFAULT_VERSION}
    if msh:
        values |= {"receiver_app": msh.get(3), "receiver_facility": msh.get(4), "event": msh.get(9, 2),
                   "processing": msh.get(11) or "P", "version": msh.get(12) or DEFAULT_VERSION}
    now = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    fields = ["MSH", "^~\\&", escape(application), escape(facility), escape(values["receiver_app"]),
              escape(values["receiver_facility"]), now, "", message_type(values["event"], version),
              uuid.uuid4().hex[:20], escape(values["processing"]), escape(values["version"])]
    return "|".join(fields)


def message_type(event: str, version: tuple[int, ...]) -> str:
    """MSH-9 of the ACK; the message structure (third component) exists from v2.3.1 on."""
    return f"ACK^{escape(event)}^ACK" if version >= (2, 3, 1) else f"ACK^{escape(event)}"


def err_segment(error: Hl7Rejected, version: tuple[int, ...] = DEFAULT_VERSION_NUMBERS) -> str:
    """ERR-1 (code and location; all v2.3/v2.4 have, withdrawn in v2.7), from v2.5 on ERR-2/3/4 and ERR-8."""
    code_text = ERROR_TEXTS.get(error.code, "Application error")
    location = "^".join([error.segment, str(error.sequence) if error.segment else "", str(error.field or "")])
    code_and_location = f"{location}^{error.code}&{code_text}&HL70357"
    if version < (2, 5):
        return f"ERR|{code_and_location}"
    legacy_field = code_and_location if version < (2, 7) else ""
    fields = [legacy_field, location, f"{error.code}^{code_text}^HL70357", "E", "", "", "", escape(error.message)]
    return "|".join(["ERR", *fields])


def lenient_msh(text: str) -> Segment | None:
    """The message's MSH if it is readable at all, to echo control id, version and parties."""
    for line in (text or "").replace("\r\n", "\r").replace("\n", "\r").split("\r"):
        line = line.strip("\x0b\x1c \t\0")
        if line.startswith("MSH"):
            try:
                return Segment(line, read_encoding(line))
            except Hl7Rejected:
                return None
    return None


def escape(text: str, encoding: Encoding = Encoding()) -> str:
    """Standard HL7 escapes so echoed values cannot break the ACK's structure."""
    text = (text or "").replace(encoding.escape, "\\E\\")
    for char, sequence in ((encoding.field, "\\F\\"), (encoding.component, "\\S\\"),
                           (encoding.repetition, "\\R\\"), (encoding.subcomponent, "\\T\\")):
        text = text.replace(char, sequence)
    return "".join(char for char in text if char.isprintable())[:200]
