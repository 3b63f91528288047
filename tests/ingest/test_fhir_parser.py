"""parse_fhir_resource / parse_fhir_bundle: validation and de-identified extraction."""
import json

import pytest

from ingest.codes import SNOMED
from ingest.parsers.fhir import FhirInvalid, parse_fhir_bundle, parse_fhir_resource
from ingest.pseudonyms import pseudonymize, remap_uid


def patient(**overrides) -> dict:
    return {"resourceType": "Patient", "id": "p1",
            "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": "MRN-1"}, {"value": "OTHER-9"}],
            "name": [{"family": "Doe", "given": ["Jane"]}], "gender": "female", "birthDate": "1970-01-01"} | overrides


def test_patient_pseudonym_comes_from_the_mr_identifier_like_dicom_patient_id():
    record = parse_fhir_resource(patient())

    assert record.patient.pseudonym == pseudonymize("pt", "MRN-1")
    assert record.patient.sex == "F" and record.patient.age_years >= 50
    assert "Doe" not in repr(record) and "1970" not in repr(record)


def test_imaging_study_yields_remapped_uid_accession_pseudonym_and_modality():
    study = {"resourceType": "ImagingStudy", "status": "available", "subject": {"reference": "Patient/p1"},
             "identifier": [{"system": "urn:dicom:uid", "value": "urn:oid:1.2.3.4"},
                            {"type": {"coding": [{"code": "ACSN"}]}, "value": "ACC-5"}],
             "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "MR"}]}

    order = parse_fhir_resource(study).orders[0]

    assert (order.study_uid, order.accession_pseudonym, order.modality) == (
        remap_uid("1.2.3.4"), pseudonymize("acc", "ACC-5"), "MR")


def test_bundle_resolves_references_and_scrubs_patient_names_from_report_text():
    report = {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "CT head"},
              "subject": {"reference": "urn:uuid:pat-1"}, "conclusion": "Jane Doe: glioma, MRN-1 on file."}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:rep-1", "resource": report, "request": {"method": "POST", "url": "DiagnosticReport"}},
        {"fullUrl": "urn:uuid:pat-1", "resource": patient(), "request": {"method": "POST", "url": "Patient"}}]}

    parsed = parse_fhir_bundle(bundle)

    record = parsed.entries[0].record
    assert record.patient.pseudonym == pseudonymize("pt", "MRN-1")
    assert record.reports[0].impression == "[redacted]: glioma, [redacted] on file."


def test_condition_keeps_snomed_code_and_display():
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p1"},
                 "code": {"coding": [{"system": SNOMED, "code": "393564001", "display": "Meningioma"}]}}

    codes = parse_fhir_resource(condition).codes

    assert [(code.system, code.code, code.display, code.role) for code in codes] == [
        (SNOMED, "393564001", "Meningioma", "diagnosis")]


def test_invalid_resource_raises_with_issue_paths_but_never_quotes_the_value():
    with pytest.raises(FhirInvalid) as caught:
        parse_fhir_resource(patient(birthDate="QXSECRET-not-a-date"))

    assert caught.value.issues[0]["expression"] == ["Patient.birthDate"]
    assert "QXSECRET" not in json.dumps(caught.value.issues)


@pytest.mark.parametrize("data", [{"resourceType": "Practitioner"}, {"no": "type"}, [], "text"])
def test_unsupported_or_non_resources_are_refused(data):
    with pytest.raises(FhirInvalid):
        parse_fhir_resource(data)


def test_bundle_of_wrong_type_is_refused():
    with pytest.raises(FhirInvalid):
        parse_fhir_bundle({"resourceType": "Bundle", "type": "document", "entry": []})


def test_batch_bundle_reports_invalid_entries_separately():
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": patient()}, {"resource": {"resourceType": "Patient", "birthDate": "not a date"}}]}

    parsed = parse_fhir_bundle(bundle)

    assert parsed.entries[0].record is not None and parsed.entries[0].error is None
    assert parsed.entries[1].error.issues[0]["expression"][0].startswith("Bundle.entry[1].resource")


def test_absolute_and_relative_references_to_the_same_patient_resolve_alike():
    from ingest.parsers.fhir import reference_alias

    assert reference_alias("http://server/fhir/Patient/p1") == reference_alias("Patient/p1")
    assert reference_alias("Patient/p1/_history/3") == reference_alias("Patient/p1")
    assert reference_alias("urn:uuid:abc") != reference_alias("Patient/abc")
