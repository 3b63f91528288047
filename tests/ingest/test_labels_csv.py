"""ingest.parsers.labels: what a labels-CSV row may put in the repository (no database)."""
import csv
import re

from ingest.parsers.labels import label_fields


def test_only_listed_columns_are_kept_and_unknown_ones_never_stored():
    row = {"file": "images/a.png", "label": "COVID-19", "patient_id": "p42", "split_group": "p42",
           "mrn": "778899", "referring": "Dr Who", "view": "PA", "doi": "10.1/x", "date": "2020-01-22"}

    fields = label_fields(row)

    assert fields["metadata"] == {"view": "PA", "doi": "10.1/x"}
    assert fields["label"] == "COVID-19"


def test_free_text_loses_the_rows_identifiers_and_calendar_dates():
    row = {"file": "images/a.png", "label": "COVID-19", "patient_id": "p42", "split_group": "p42",
           "clinical_notes": "Patient p42 admitted on January 22, 2020 (seen again 2020-01-25) with fever.",
           "location": "Cho Ray Hospital"}

    fields = label_fields(row)

    notes = fields["metadata"]["clinical_notes"]
    assert notes == "Patient [redacted] admitted on [date] (seen again [date]) with fever."
    assert "p42" not in fields["notes"] and "2020-01-25" not in fields["notes"]


def test_free_text_loses_identifiers_the_row_does_not_declare():
    row = {"file": "images/a.png", "label": "COVID-19",
           "clinical_notes": ("Transferred with MRN 7788991 (Mrs Okafor); family on 555-201-3344. "
                              "Case courtesy of Dr Roe.")}

    notes = label_fields(row)["metadata"]["clinical_notes"]

    assert notes == "Transferred with MRN [redacted] (Mrs [redacted]); family on [redacted]. Case courtesy of Dr Roe."


def test_no_patient_id_of_the_shared_chest_xray_csv_reaches_notes_or_metadata(datasets_dir):
    with open(datasets_dir / "covid_chestxray" / "labels.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))

    leaked = [row["patient_id"] for row in rows
              if re.search(rf"(?<!\w){re.escape(row['patient_id'])}(?!\w)",
                           label_fields(row)["notes"] + " " + " ".join(label_fields(row)["metadata"].values()))]

    assert len(rows) > 500 and leaked == []
    assert not any("split_group" in label_fields(row)["metadata"] for row in rows)
