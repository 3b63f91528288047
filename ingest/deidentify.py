"""De-identification rules shared by the HL7 and FHIR paths: ages, date shifts, text scrubbing.

Identity never leaves a parser: patient ids and accession numbers become keyed
pseudonyms (ingest.pseudonyms), birth dates become ages, other dates move by a
per-patient offset, and free text loses every identifier the message itself names.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta

from ingest.pseudonyms import keyed_digest

REDACTED = "[redacted]"
DATE_REDACTED = "[date]"
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
          r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
# Calendar dates as people write them: 2020-01-22, 22/01/2020, 20200122, January 22, 2020, 22 Jan 2020, Jan 2020.
_DATE_IN_TEXT = re.compile(
    r"(?<!\w)(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|(?:19|20)\d{6}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?!\w)|{_MONTH}\s+\d{{4}})(?!\w)",
    re.IGNORECASE)
# Identifiers nobody declared but whose shape gives them away (HIPAA Safe Harbor kinds a pattern can see).
# The label stays so the sentence still reads ("MRN [redacted]"); only the value goes.
_LABELLED_ID = re.compile(
    r"(?<!\w)(?P<label>mrn|medical\s+record(?:\s+(?:number|no\.?))?|record\s+(?:number|no\.?)"
    r"|patient\s+(?:id|number|no\.?)|pt\.?\s+(?:id|no\.?)|acc(?:ession)?\.?\s*(?:number|no\.?|#)"
    r"|account(?:\s+(?:number|no\.?))?"
    r"|acct\.?|ssn|social\s+security(?:\s+number)?|nhs(?:\s+number)?|insurance(?:\s+(?:number|no\.?|id))?"
    r"|policy(?:\s+(?:number|no\.?))?|member\s+id|barcode|specimen\s+(?:id|number|no\.?))"
    r"(?P<gap>\s*(?:[:#=]|is|no\.?)?\s*)(?P<value>(?=[A-Za-z/-]*\d)[\w/-]{3,})",
    re.IGNORECASE)
_SHAPED_ID = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+"  # e-mail address (bounded: no quadratic scans)
    r"|(?<!\w)(?:\+\d{1,3}[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\w)"  # phone number
    r"|(?<!\w)\d{3}-\d{2}-\d{4}(?!\w)"  # US social security number
    r"|(?<![\w.])\d{7,}(?![\w.])"  # a bare run of 7+ digits: record, account or barcode numbers
)
# Case-sensitive on purpose: "MR Brain" and "MS lesion" are modalities and diagnoses, "Mr Brain" is a name.
# Not "Dr": clinicians are not the patient, and image credits ("Case courtesy of Dr ...") must keep them.
_TITLED_NAME = re.compile(r"(?<!\w)(?P<title>(?:Mr|Mrs|Ms|Miss|Mx)\.?)\s+[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)?")
MAX_DATE_SHIFT_DAYS = 365
_MIN_TERM_LENGTH = 2


def age_in_years(birth: date | None, on: date | None) -> int | None:
    """Whole years between birth and `on`; None when either is unknown or the result is absurd."""
    if birth is None or on is None:
        return None
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return years if 0 <= years < 130 else None


def date_shift_days(patient_pseudonym: str) -> int:
    """Days (1..365) that every date of this patient moves back; stable per installation."""
    if not patient_pseudonym:
        return MAX_DATE_SHIFT_DAYS
    return 1 + int.from_bytes(keyed_digest("date-shift", patient_pseudonym)[:4], "big") % MAX_DATE_SHIFT_DAYS


def shift_date(day: date | None, patient_pseudonym: str) -> date | None:
    """The day moved by the patient's shift; None without a patient, since one shared shift would be guessable."""
    if day is None or not patient_pseudonym:
        return None
    try:
        return day - timedelta(days=date_shift_days(patient_pseudonym))
    except OverflowError:  # a year-1 date ("00010105") cannot move back; it says nothing useful anyway
        return None


def identifier_terms(values: Iterable[str]) -> set[str]:
    """Strings to scrub from free text: each value, its words, and the digits of numbers in it."""
    terms: set[str] = set()
    for value in values:
        text = (value or "").strip()
        if len(text) < _MIN_TERM_LENGTH:
            continue
        terms.add(text)
        terms.update(word for word in re.split(r"[\s,^]+", text) if len(word) >= _MIN_TERM_LENGTH)
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 4:
            terms.add(digits)
    return terms


def scrub_text(text: str, terms: Iterable[str]) -> str:
    """Replace every whole-word, case-insensitive occurrence of a term by [redacted]."""
    ordered = sorted({term for term in terms if term}, key=len, reverse=True)
    if not text or not ordered:
        return text
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(_term_pattern(term) for term in ordered) + r")(?!\w)",
                         re.IGNORECASE)
    return pattern.sub(REDACTED, text)


def scrub_dates(text: str) -> str:
    """Replace calendar dates in free text by [date]: without a patient's shift, a date cannot be kept."""
    return _DATE_IN_TEXT.sub(DATE_REDACTED, text) if text else text


def scrub_identifier_shapes(text: str, replacement: str = REDACTED) -> str:
    """Cut identifiers that no field declared but whose shape gives them away: labelled numbers (MRN 4411,
    account #A-77), e-mail addresses, phone numbers, social security numbers, bare runs of 7+ digits and
    names after a personal title (Mr Smith, Mrs. Jane Roe). What has no such shape (a bare name) needs the
    message's own fields, i.e. scrub_text."""
    if not text:
        return text
    text = _SHAPED_ID.sub(replacement, text)  # first, so a grouped number goes whole: "NHS 943 476 5919"
    text = _LABELLED_ID.sub(lambda match: match["label"] + match["gap"] + replacement, text)
    return _TITLED_NAME.sub(lambda match: f"{match['title']} {replacement}", text)


def scrub_free_text(text: str, terms: Iterable[str]) -> str:
    """Everything free text loses: the message's own identifiers, identifier shapes and calendar dates."""
    return scrub_dates(scrub_identifier_shapes(scrub_text(text, terms)))


def _term_pattern(term: str) -> str:
    """Digit strings also match when written with spaces, dots, dashes or brackets: 555-0101, (555) 0101."""
    if term.isdigit() and len(term) >= 4:
        return r"[\s().-]{0,2}".join(term)
    return re.escape(term)
