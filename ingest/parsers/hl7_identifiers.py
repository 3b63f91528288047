"""The identifying values an HL7 v2 message carries (PID, NK1, PV1, GT1, IN1, ORC, OBR, IPC).

They are collected only to be scrubbed from the free text we keep; none is stored.
"""
from __future__ import annotations

from ingest.parsers.hl7_segments import Segment

IDS, NAMES, PERSONS, ADDRESSES, PHONES = "ids", "names", "persons", "addresses", "phones"

# segment -> field kind -> field numbers (HL7 v2.5.1 positions; earlier versions agree on these)
IDENTIFYING_FIELDS = {
    "PID": {IDS: (2, 3, 4, 7, 18, 19, 20, 21), NAMES: (5, 6, 9), ADDRESSES: (11,), PHONES: (13, 14)},
    "NK1": {NAMES: (2, 30), ADDRESSES: (4, 32), PHONES: (5, 6, 31), IDS: (33, 37)},
    "PV1": {PERSONS: (7, 8, 9, 17), IDS: (19, 50)},
    "GT1": {IDS: (2, 12), NAMES: (3, 4), ADDRESSES: (5,), PHONES: (6, 7)},
    "IN1": {NAMES: (16,), ADDRESSES: (19,), IDS: (36, 49)},
    "ORC": {IDS: (2, 3, 4), PERSONS: (12,)},  # placer / filler order numbers, placer group
    "OBR": {IDS: (2, 3, 18), PERSONS: (16,)},  # placer / filler order numbers, placer field 1 (accession)
    "IPC": {IDS: (1, 2, 4)},  # accession, requested procedure and scheduled step ids
}
# Components that identify: CX id; XPN family, given, middle; XCN id, family, given, middle;
# XAD street, other designation, city, postal code; XTN number, e-mail, local number, unformatted.
COMPONENTS = {IDS: (1,), NAMES: (1, 2, 3), PERSONS: (1, 2, 3, 4), ADDRESSES: (1, 2, 3, 5), PHONES: (1, 4, 7, 12)}


def message_identifiers(segments: list[Segment]) -> list[str]:
    values: list[str] = []
    for segment in segments:
        for kind, numbers in IDENTIFYING_FIELDS.get(segment.id, {}).items():
            for number in numbers:
                values += field_values(segment, number, kind)
    return [value for value in values if value]


def field_values(segment: Segment, number: int, kind: str) -> list[str]:
    values = []
    for repetition in range(1, len(segment.repetitions(number)) + 1):
        parts = segment.components(number, repetition)
        values += [parts[index - 1].strip() for index in COMPONENTS[kind] if index <= len(parts)]
        if kind == PHONES and len(parts) >= 7:
            values.append(f"{parts[5]}{parts[6]}".strip())  # area code + local number
    return values
