"""PHI leak test: markers in FHIR Patient name/identifier/telecom/address/contact never come out."""
from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from ingest.models import Report

pytestmark = pytest.mark.django_db
MARKER = "QXFHIR"


def marked_bundle() -> dict:
    m = {n: f"{MARKER}{n:02d}" for n in range(1, 20)}
    patient = {
        "resourceType": "Patient", "id": m[1],
        "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": m[2]}, {"system": "urn:ssn", "value": m[3]}],
        "name": [{"family": m[4], "given": [m[5], m[6]], "text": f"{m[5]} {m[4]}"}],
        "telecom": [{"system": "phone", "value": f"+1 555 {m[7]}"}, {"system": "email", "value": f"{m[8]}@mail.test"}],
        "address": [{"line": [f"{m[9]} Street"], "city": m[10], "postalCode": m[11]}],
        "gender": "male", "birthDate": "1960-05-05",
        "contact": [{"name": {"family": m[12]}, "telecom": [{"system": "phone", "value": m[13]}]}],
    }
    report = {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": f"CT head for {m[5]}"},
              "identifier": [{"type": {"coding": [{"code": "ACSN"}]}, "value": m[16]}],
              "conclusionCode": [{"coding": [{"system": "http://snomed.info/sct", "code": "302820008",
                                              "display": f"Meningioma of {m[4]}"}]}],
              "subject": {"reference": f"Patient/{m[1]}", "display": m[14]},
              "text": {"status": "generated", "div": f"<div xmlns=\"http://www.w3.org/1999/xhtml\">{m[4]}</div>"},
              "conclusion": f"{m[5]} {m[4]} ({m[2]}, born 1960-05-05, accession {m[16]}): meningioma; "
                            f"contact {m[14]}."}
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": f"urn:uuid:{m[15]}", "resource": patient, "request": {"method": "POST", "url": "Patient"}},
        {"fullUrl": "urn:uuid:r", "resource": report, "request": {"method": "POST", "url": "DiagnosticReport"}}]}


def assert_no_marker(text: str, where: str) -> None:
    index = text.find(MARKER)
    assert index < 0, f"PHI marker found in {where}: ...{text[max(0, index - 150):index + 40]}"


def test_fhir_patient_identifiers_never_reach_database_files_responses_or_logs(client, caplog, capfd):
    caplog.set_level(logging.DEBUG)

    posted = client.post("/fhir/", data=json.dumps(marked_bundle()), content_type="application/fhir+json")
    invalid = client.post("/fhir/Patient", data=json.dumps(marked_bundle()["entry"][0]["resource"] | {
        "birthDate": f"{MARKER}99"}), content_type="application/fhir+json")
    reads = [client.get(path).content.decode() for path in (
        "/fhir/Patient", "/fhir/DiagnosticReport", "/fhir/Condition", "/fhir/ImagingStudy",
        f"/fhir/Patient/{Report.objects.get().patient.pseudonym}")]

    dump = io.StringIO()
    call_command("dumpdata", "ingest", stdout=dump)
    assert posted.status_code == 200 and invalid.status_code == 400
    assert "[redacted]" in Report.objects.get().impression and "1960" not in Report.objects.get().impression
    for where, text in [("post response", posted.content.decode()), ("400 response", invalid.content.decode()),
                        ("search responses", "".join(reads)), ("dumpdata", dump.getvalue()), ("logs", caplog.text),
                        ("stderr/stdout", "".join(capfd.readouterr()))]:
        assert_no_marker(text, where)
    for folder in {Path(settings.MEDIA_ROOT), Path(settings.VAR_DIR)}:
        for path in folder.rglob("*") if folder.exists() else []:
            if path.is_file():
                assert_no_marker(path.read_bytes().decode("latin-1"), str(path))
