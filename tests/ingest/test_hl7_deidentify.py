"""ingest.deidentify and the HL7 identifier collection: what gets scrubbed from free text."""
from datetime import date

from ingest.deidentify import (age_in_years, date_shift_days, identifier_terms, scrub_identifier_shapes, scrub_text,
                               shift_date)
from ingest.parsers.hl7_identifiers import message_identifiers
from ingest.parsers.hl7_segments import split_segments


def test_scrub_text_removes_names_case_insensitively_on_word_boundaries():
    terms = identifier_terms(["DOE^JANE"])

    assert scrub_text("Jane Doe and doe-eyed Janet", terms) == "[redacted] [redacted] and [redacted]-eyed Janet"


def test_scrub_text_matches_phone_digits_written_with_separators():
    terms = identifier_terms(["(555) 555-2004"])

    assert scrub_text("call 555 555 2004 or 5555552004", terms) == "call [redacted] or [redacted]"


def test_message_identifiers_cover_pid_nk1_pv1_gt1_in1():
    segments, _ = split_segments("\r".join([
        "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1",
        "PID|1||MRN1^^^H^MR||FAM^GIV||19700101|F|||1 Elm St^^Town^^99999||^^^a@b.c^^555^1234567",
        "NK1|1|KIN^NEXT", "PV1|1|I|||||DOC1^DRFAM^DRGIV", "GT1|1|G1|GUAR^ANTOR", "IN1|1|||||||||||||||INS^URED"]))

    values = set(message_identifiers(segments))

    assert {"MRN1", "FAM", "GIV", "1 Elm St", "Town", "99999", "a@b.c", "5551234567", "KIN", "NEXT", "DOC1",
            "DRFAM", "G1", "GUAR", "INS"} <= values


def test_age_in_years_counts_whole_years():
    assert age_in_years(date(2000, 6, 15), date(2024, 6, 14)) == 23
    assert age_in_years(date(2000, 6, 15), date(2024, 6, 15)) == 24
    assert age_in_years(None, date(2024, 1, 1)) is None


def test_date_shift_is_stable_per_patient_and_moves_dates_back_at_most_a_year():
    shift = date_shift_days("pt-abc")

    assert shift == date_shift_days("pt-abc")
    assert 1 <= shift <= 365
    assert shift_date(date(2024, 1, 10), "pt-abc") < date(2024, 1, 10)


def test_dates_of_reports_without_a_patient_are_dropped_not_shifted_by_a_shared_offset():
    assert shift_date(date(2024, 1, 10), "") is None


def test_scrub_dates_replaces_calendar_dates_but_keeps_years_and_durations():
    from ingest.deidentify import scrub_dates

    text = "On January 22, 2020 (day 5), seen 2020-01-25, 25/01/2020 and 3 Feb 2020; may improve by 2021."

    assert scrub_dates(text) == "On [date] (day 5), seen [date], [date] and [date]; may improve by 2021."


def test_identifiers_nobody_declared_are_cut_by_their_shape():
    text = ("Mrs. Jane Okafor, MRN: 4411223, acct #A-7781, NHS number 943 476 5919, barcode 88123456789, "
            "call (555) 201-3344 or jo@hosp.example, SSN 123-45-6789; Patient ID is X99812.")

    assert scrub_identifier_shapes(text) == (
        "Mrs. [redacted], MRN: [redacted], acct #[redacted], NHS number [redacted], barcode [redacted], "
        "call [redacted] or [redacted], SSN [redacted]; Patient ID is [redacted].")


def test_identifier_shapes_leave_clinical_text_credits_and_references_alone():
    text = ("MR Brain: MS lesions, 23 x 14 mm; WBC 12000, platelets 150000, CRP 41.4 mg/L; insurance 2 weeks ago; "
            "Case courtesy of Dr Frank Gaillard, doi 10.1148/radiol.2020200905, NEJMoa2001017.")

    assert scrub_identifier_shapes(text) == text
