"""Search filters as plain values: the Filters record, `system|code` parsing and ICD-10 chapters/blocks.
No ORM here; browser.selectors turns a Filters into a queryset."""
from __future__ import annotations

import re
from dataclasses import dataclass, fields

from ingest.codes import ICD10, ICD10_CM, canonical_system

# ICD-10 chapters (WHO 2019), widened where ICD-10-CM ends a chapter later (D49, K95, Y99).
ICD10_CHAPTERS = {
    "I": ("A00", "B99"), "II": ("C00", "D49"), "III": ("D50", "D89"), "IV": ("E00", "E90"),
    "V": ("F00", "F99"), "VI": ("G00", "G99"), "VII": ("H00", "H59"), "VIII": ("H60", "H95"),
    "IX": ("I00", "I99"), "X": ("J00", "J99"), "XI": ("K00", "K95"), "XII": ("L00", "L99"),
    "XIII": ("M00", "M99"), "XIV": ("N00", "N99"), "XV": ("O00", "O9A"), "XVI": ("P00", "P96"),
    "XVII": ("Q00", "Q99"), "XVIII": ("R00", "R99"), "XIX": ("S00", "T98"), "XX": ("V00", "Y99"),
    "XXI": ("Z00", "Z99"), "XXII": ("U00", "U99"),
}
ICD10_FAMILY = (ICD10, ICD10_CM)
_CATEGORY = re.compile(r"^[A-Z][0-9][0-9A-Z]$")
_BLOCK = re.compile(r"^([A-Z][0-9][0-9A-Z])-([A-Z][0-9][0-9A-Z])$")


class InvalidFilter(ValueError):
    """A filter value that cannot be understood (the view answers 400)."""


@dataclass(frozen=True)
class CodeFilter:
    """One coded-diagnosis condition: an exact code, or an ICD-10 category range (block or chapter)."""

    systems: tuple[str, ...]
    code: str = ""  # exact code, when not a range
    first: str = ""  # first ICD-10 category of a range, e.g. J09
    last: str = ""  # last ICD-10 category of a range, e.g. J18

    @property
    def is_range(self) -> bool:
        return bool(self.first)


def parse_code_filter(text: str) -> CodeFilter:
    """'system|code' -> CodeFilter. For ICD-10 the code may be a block ('J09-J18'), a chapter
    ('chapter:X' or 'X') or a category ('J18', which also matches J18.0, J18.9, ...)."""
    system_text, separator, code = text.partition("|")
    code = code.strip().upper()
    if not separator or not code:
        raise InvalidFilter(f"code filter must look like 'system|code', got {text!r}")
    system = canonical_system(system_text.strip())
    if not system:
        raise InvalidFilter(f"unknown coding system {system_text.strip()!r}")
    if system not in ICD10_FAMILY:
        return CodeFilter(systems=(system,), code=code)
    return _icd10_filter(code)


def _icd10_filter(code: str) -> CodeFilter:
    chapter = code.removeprefix("CHAPTER:").strip()
    if chapter in ICD10_CHAPTERS:
        first, last = ICD10_CHAPTERS[chapter]
        return CodeFilter(systems=ICD10_FAMILY, first=first, last=last)
    block = _BLOCK.match(code)
    if block:
        return CodeFilter(systems=ICD10_FAMILY, first=block.group(1), last=block.group(2))
    if _CATEGORY.match(code):
        return CodeFilter(systems=ICD10_FAMILY, first=code, last=code)
    return CodeFilter(systems=ICD10_FAMILY, code=code)


def range_bounds(code_filter: CodeFilter) -> tuple[str, str]:
    """Inclusive string bounds for codes in [first, last]: 'J18.9' and 'J189' sort below 'J18~'."""
    return code_filter.first, code_filter.last + "~"


@dataclass
class Filters:
    label: str = ""
    modality: str = ""
    body_part: str = ""
    dataset: str = ""
    sex: str = ""
    age_min: int | None = None
    age_max: int | None = None
    code: str = ""  # system|code, see parse_code_filter
    teaching_set: int | None = None  # id of a browser.TeachingSet: only its cases

    def active(self) -> dict:
        return {item.name: getattr(self, item.name) for item in fields(self)
                if getattr(self, item.name) not in ("", None)}

    def code_filter(self) -> CodeFilter | None:
        return parse_code_filter(self.code) if self.code else None
