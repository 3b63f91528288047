"""The Annex E actions on single values: dummy (D), empty (Z), clean (C) and UID (U)."""
from __future__ import annotations

import re
from datetime import date, timedelta

from pydicom.multival import MultiValue

from ingest.deidentify import scrub_identifier_shapes
from ingest.pseudonyms import remap_uid

DUMMY_TEXT = "ANONYMIZED"
DUMMY_VALUES = {
    "DA": "19000101", "DT": "19000101000000", "TM": "000000", "AS": "000Y", "IS": "0", "DS": "0",
    "US": 0, "SS": 0, "UL": 0, "SL": 0, "UV": 0, "SV": 0, "FL": 0.0, "FD": 0.0, "AT": 0,
    "OB": b"", "OW": b"", "OF": b"", "OD": b"", "OL": b"", "OV": b"", "UN": b"", "UR": "",
}
# Dates, in the forms people type them into free text, are cut out of cleaned descriptors.
DATE_IN_TEXT = re.compile(r"\b(\d{8}|\d{1,4}[./-]\d{1,2}[./-]\d{1,4})\b")


def dummy_value(vr: str):
    """D: a non-empty placeholder of the right VR that says nothing about anyone."""
    return DUMMY_VALUES.get(vr, DUMMY_TEXT)


def empty_value(vr: str):
    """Z: the zero-length value of a VR."""
    if vr == "SQ":
        return []
    if vr in ("OB", "OW", "OF", "OD", "OL", "OV", "UN"):
        return b""
    return None


def remap_uid_value(value):
    """U: every UID (also of a multi-valued element) through the keyed remapping."""
    if isinstance(value, (list, MultiValue)):
        return [remap_uid(str(uid)) for uid in value]
    return remap_uid(str(value)) if value else value


def shift_date_text(text: str, vr: str, shift: timedelta) -> str:
    """C on DA / DT: move the date by `shift`, keep any time part; '' when unparsable."""
    text = text.strip()
    try:
        moved = date(int(text[0:4]), int(text[4:6]), int(text[6:8])) + shift
    except (ValueError, IndexError):
        return ""
    rest = text[8:] if vr == "DT" else ""
    return moved.strftime("%Y%m%d") + rest


def shift_date_value(value, vr: str, shift: timedelta):
    if isinstance(value, (list, MultiValue)):
        return [shift_date_text(str(item), vr, shift) for item in value]
    return shift_date_text(str(value or ""), vr, shift) if value else value


def clean_text(text: str, identifiers: tuple[str, ...]) -> str:
    """C on text: cut out known identifiers (whole words, any case), identifier shapes and dates."""
    for identifier in identifiers:
        text = re.sub(rf"(?<![0-9A-Za-z]){re.escape(identifier)}(?![0-9A-Za-z])", " ", text, flags=re.IGNORECASE)
    text = DATE_IN_TEXT.sub(" ", scrub_identifier_shapes(text, replacement=" "))
    return re.sub(r"\s{2,}", " ", text).strip(" ^,;:-")


def clean_value(value, identifiers: tuple[str, ...]):
    if isinstance(value, (list, MultiValue)):
        return [clean_text(str(item), identifiers) for item in value]
    return clean_text(str(value), identifiers) if value else value
