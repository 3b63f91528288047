"""FHIR REST: POST /fhir/{type}, POST /fhir/ Bundles, GET searchsets; all output validated as R4(B)."""
from __future__ import annotations

import json

import pytest
from fhir.resources.R4B import get_fhir_model_class

from ingest.codes import ICD10_CM, ICD9_CM, SNOMED
from ingest.models import CodedConcept, InboundMessage, Order, Patient, Rejection, Report
from ingest.pseudonyms import pseudonymize

pytestmark = pytest.mark.django_db
SUPPORTED = {"Patient", "ImagingStudy", "DiagnosticReport", "Condition", "Observation"}


def post(client, path: str, data) -> tuple[int, dict]:
    body = data if isinstance(data, (bytes, str)) else json.dumps(data)
    response = client.post(path, data=body, content_type="application/fhir+json")
    return response.status_code, response.json()


def get(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, response.content
    return valid(response.json())


def valid(resource: dict) -> dict:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def sample(datasets_dir, name: str) -> dict:
    return json.loads((datasets_dir / "interop_samples" / "fhir_r4" / name).read_text())


def patient(identifier: str = "MRN-1", **overrides) -> dict:
    return {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-01-01",
            "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": identifier}]} | overrides


def entry(resource: dict, full_url: str) -> dict:
    return {"fullUrl": full_url, "resource": resource, "request": {"method": "POST", "url": resource["resourceType"]}}


def report(subject: str, **overrides) -> dict:
    return {"resourceType": "DiagnosticReport", "status": "final", "subject": {"reference": subject},
            "code": {"coding": [{"system": "http://loinc.org", "code": "24627-2", "display": "CT Chest"}]},
            "conclusion": "Ground-glass opacities, COVID-19 pneumonia.", "issued": "2024-01-03T10:00:00Z",
            "conclusionCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "U07.1",
                                            "display": "COVID-19"}]}]} | overrides


def test_every_sample_resource_is_stored_or_refused_with_an_operation_outcome(client, datasets_dir):
    files = sorted((datasets_dir / "interop_samples" / "fhir_r4").glob("*.json"), key=lambda p: "patient" not in p.name)

    statuses = {}
    for path in files:
        data = json.loads(path.read_text())
        status, body = post(client, f"/fhir/{data['resourceType']}", data)
        valid(body)
        statuses[path.name] = (data["resourceType"], status)

    assert len(files) == 26
    assert all(status == (201 if kind in SUPPORTED else 404) for kind, status in statuses.values())
    assert Patient.objects.count() == 4 and Report.objects.count() == 4 and Order.objects.count() == 2
    assert Rejection.objects.filter(channel="fhir").count() == sum(k not in SUPPORTED for k, _ in statuses.values())


def test_condition_sample_links_to_the_patient_posted_before_it(client, datasets_dir):
    post(client, "/fhir/Patient", sample(datasets_dir, "patient-example.json"))

    post(client, "/fhir/Condition", sample(datasets_dir, "condition-example-stroke.json"))

    assert CodedConcept.objects.get(code="422504002").patient.pseudonym == pseudonymize("pt", "12345")


def test_resending_the_same_resource_is_a_no_op(client):
    first, _ = post(client, "/fhir/Patient", patient())
    second, body = post(client, "/fhir/Patient", patient())

    assert (first, second) == (201, 200)
    assert body["issue"][0]["severity"] == "information"
    assert (InboundMessage.objects.count(), Patient.objects.count()) == (1, 1)


@pytest.mark.parametrize("body", [b"{not json", json.dumps(patient(birthDate="1970-13-45")),
                                  json.dumps({"resourceType": "Condition", "code": 5}), json.dumps([1, 2])])
def test_invalid_input_gets_400_operation_outcome_and_a_rejection(client, body):
    status, outcome = post(client, "/fhir/Patient" if "Condition" not in str(body) else "/fhir/Condition", body)

    assert status == 400
    assert valid(outcome)["resourceType"] == "OperationOutcome"
    assert Rejection.objects.filter(channel="fhir").count() == 1
    assert InboundMessage.objects.count() == 0


def test_transaction_bundle_stores_all_entries_and_resolves_internal_references(client):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        entry(patient("MRN-7"), "urn:uuid:p"), entry(report("urn:uuid:p"), "urn:uuid:r")]}

    status, response = post(client, "/fhir/", bundle)

    assert status == 200 and valid(response)["type"] == "transaction-response"
    assert [item["response"]["status"] for item in response["entry"]] == ["201 Created", "201 Created"]
    assert Report.objects.get().patient.pseudonym == pseudonymize("pt", "MRN-7")


def test_transaction_with_one_invalid_entry_stores_nothing(client):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        entry(patient(), "urn:uuid:p"), entry({"resourceType": "Condition", "code": "bad"}, "urn:uuid:c")]}

    status, outcome = post(client, "/fhir/", bundle)

    assert status == 400 and valid(outcome)["issue"][0]["expression"][0].startswith("Bundle.entry[1]")
    assert (InboundMessage.objects.count(), Patient.objects.count()) == (0, 0)


def test_batch_bundle_stores_valid_entries_and_refuses_invalid_ones(client):
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        entry(patient(), "urn:uuid:p"), entry({"resourceType": "Condition", "code": "bad"}, "urn:uuid:c")]}

    status, response = post(client, "/fhir/", bundle)

    assert status == 200 and valid(response)["type"] == "batch-response"
    assert [item["response"]["status"] for item in response["entry"]] == ["201 Created", "400 Bad Request"]
    assert Patient.objects.count() == 1 and Rejection.objects.count() == 1


def test_searchsets_return_valid_r4_bundles_of_each_type(client, datasets_dir):
    for name in ("patient-example.json", "imagingstudy-example-xr.json", "diagnosticreport-example-f201-brainct.json",
                 "condition-example-stroke.json"):
        data = sample(datasets_dir, name)
        post(client, f"/fhir/{data['resourceType']}", data)

    kinds = ("Patient", "ImagingStudy", "DiagnosticReport", "Condition")
    bundles = {kind: get(client, f"/fhir/{kind}") for kind in kinds}

    assert {kind: bundle["total"] for kind, bundle in bundles.items()} == {
        "Patient": 1, "ImagingStudy": 1, "DiagnosticReport": 1, "Condition": 3}
    # every stored code is served as a Condition: the condition itself, the study's reason, the report's conclusion
    assert {item["resource"]["code"]["coding"][0]["code"] for item in bundles["Condition"]["entry"]} == {
        "422504002", "357009", "188340000"}
    assert all(bundle["type"] == "searchset" for bundle in bundles.values())


def test_condition_search_by_system_and_code_also_finds_crosswalk_codes(client):
    post(client, "/fhir/", {"resourceType": "Bundle", "type": "transaction", "entry": [
        entry(patient(), "urn:uuid:p"),
        entry({"resourceType": "Condition", "subject": {"reference": "urn:uuid:p"}, "code": {"coding": [
            {"system": ICD9_CM, "code": "225.2", "display": "Benign neoplasm of cerebral meninges"}]}}, "urn:uuid:c")]})

    by_original = get(client, f"/fhir/Condition?code={ICD9_CM}|225.2")
    by_mapped = get(client, f"/fhir/Condition?code={ICD10_CM}|D32.0")
    by_other_system = get(client, f"/fhir/Condition?code={SNOMED}|225.2")

    assert by_original["total"] == by_mapped["total"] == 1 and by_other_system["total"] == 0
    codings = by_mapped["entry"][0]["resource"]["code"]["coding"]
    assert [(coding["system"], coding["code"]) for coding in codings] == [(ICD9_CM, "225.2"), (ICD10_CM, "D32.0")]


def test_report_search_by_patient_keyword_and_paging(client):
    post(client, "/fhir/Patient", patient("MRN-2"))
    for n in range(3):
        post(client, "/fhir/DiagnosticReport", report("Patient/p1", id=f"r{n}"))
    pseudonym = pseudonymize("pt", "MRN-2")

    first_page = get(client, f"/fhir/DiagnosticReport?patient=Patient/{pseudonym}&_content=ground-glass&_count=2")
    other_patient = get(client, "/fhir/DiagnosticReport?patient=pt-000")

    assert first_page["total"] == 3 and len(first_page["entry"]) == 2
    assert "_offset=2" in next(link["url"] for link in first_page["link"] if link["relation"] == "next")
    assert other_patient["total"] == 0


def test_links_carry_only_the_parameters_applied_and_strict_handling_refuses_the_rest(client):
    for n in range(3):
        post(client, "/fhir/DiagnosticReport", report("Patient/p1", id=f"r{n}"))

    lenient = get(client, "/fhir/DiagnosticReport?_count=2&colour=blue&_content=ground-glass")
    strict = client.get("/fhir/DiagnosticReport?_count=2&colour=blue", HTTP_PREFER="handling=strict")
    links = {link["relation"]: link["url"] for link in lenient["link"]}

    assert lenient["total"] == 3  # the unknown parameter was ignored, not applied
    assert "colour" not in links["self"] and "_count=2" in links["self"] and "_content=ground-glass" in links["self"]
    assert "colour" not in links["next"] and "_offset=2" in links["next"]
    assert strict.status_code == 400 and "colour" in valid(strict.json())["issue"][0]["diagnostics"]


def test_read_patient_by_pseudonym_and_unknown_ids_give_404(client):
    post(client, "/fhir/Patient", patient("MRN-3"))

    found = client.get(f"/fhir/Patient/{pseudonymize('pt', 'MRN-3')}")
    missing = client.get("/fhir/Patient/pt-unknown")
    missing_report = client.get("/fhir/DiagnosticReport/999")

    assert found.status_code == 200 and valid(found.json())["gender"] == "female"
    assert missing.status_code == missing_report.status_code == 404
    assert valid(missing.json())["resourceType"] == "OperationOutcome"


def test_a_resource_type_not_served_is_404_not_supported_for_search_and_create(client):
    search = client.get("/fhir/Medication")
    create = client.post("/fhir/Medication", data=json.dumps({"resourceType": "Medication"}),
                         content_type="application/fhir+json")

    for response in (search, create):
        issue = valid(response.json())["issue"][0]
        assert response.status_code == 404 and issue["code"] == "not-supported"
        assert "Medication" in issue["diagnostics"] and "Patient" in issue["diagnostics"]
    assert Rejection.objects.filter(channel="fhir").count() == 1  # the refused write is on record for curators


def test_bad_search_parameter_values_give_400(client):
    response = client.get("/fhir/DiagnosticReport?_count=lots")

    assert response.status_code == 400 and valid(response.json())["resourceType"] == "OperationOutcome"


def test_report_search_by_issued_date_uses_the_shifted_date(client):
    post(client, "/fhir/Patient", patient())
    post(client, "/fhir/DiagnosticReport", report("Patient/p1"))
    issued = Report.objects.get().issued

    same_day = get(client, f"/fhir/DiagnosticReport?issued={issued.isoformat()}")
    same_month = get(client, f"/fhir/DiagnosticReport?issued={issued.isoformat()[:7]}")
    later = get(client, f"/fhir/DiagnosticReport?issued=gt{issued.isoformat()}")
    original_day = get(client, "/fhir/DiagnosticReport?issued=2024-01-03")

    assert (same_day["total"], same_month["total"], later["total"], original_day["total"]) == (1, 1, 0, 0)


def test_changed_condition_with_the_same_id_replaces_the_earlier_codes(client):
    condition = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
                 "code": {"coding": [{"system": SNOMED, "code": "233604007", "display": "Pneumonia"}]}}
    post(client, "/fhir/Condition", condition)

    status, _ = post(client, "/fhir/Condition", condition | {"code": {"coding": [
        {"system": SNOMED, "code": "840539006", "display": "COVID-19"}]}})

    assert status == 201
    assert list(CodedConcept.objects.values_list("code", flat=True)) == ["840539006"]


def test_a_read_id_is_a_value_not_a_query_string(client):
    for n in range(2):
        post(client, "/fhir/DiagnosticReport", report("Patient/p1", id=f"r{n}"))
    first, second = (item["resource"]["id"] for item in get(client, "/fhir/DiagnosticReport")["entry"])

    smuggled = client.get(f"/fhir/DiagnosticReport/{first}%26_id%3D{second}")

    assert smuggled.status_code == 404 and valid(smuggled.json())["resourceType"] == "OperationOutcome"


def test_an_offset_beyond_what_the_database_holds_is_400_not_500(client):
    response = client.get("/fhir/DiagnosticReport?_offset=99999999999999999999")

    assert response.status_code == 400 and "_offset" in valid(response.json())["issue"][0]["diagnostics"]


def test_imaging_study_status_and_modality_lists_filter_as_r4_says(client, datasets_dir):
    data = sample(datasets_dir, "imagingstudy-example-xr.json")
    post(client, "/fhir/ImagingStudy", data)  # no images of it here yet: served as a registered order
    modality = data["modality"][0]["code"]

    assert get(client, "/fhir/ImagingStudy?status=registered")["total"] == 1
    assert get(client, "/fhir/ImagingStudy?status=available,registered")["total"] == 1
    assert get(client, "/fhir/ImagingStudy?status=available")["total"] == 0
    assert get(client, "/fhir/ImagingStudy?status=cancelled")["total"] == 0
    assert get(client, f"/fhir/ImagingStudy?modality=ZZ,{modality}")["total"] == 1
    assert get(client, "/fhir/ImagingStudy?modality=ZZ,YY")["total"] == 0


@pytest.mark.parametrize("method", ["put", "delete"])
def test_an_unsupported_method_is_405_with_an_operation_outcome(client, method):
    response = getattr(client, method)("/fhir/Patient/pt-1")

    assert response.status_code == 405 and response["Content-Type"].startswith("application/fhir+json")
    assert valid(response.json())["issue"][0]["code"] == "not-supported"


def test_a_body_over_the_limit_is_413_with_an_operation_outcome(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    status, body = post(client, "/fhir/Patient", patient(text={"status": "generated", "div": "x" * 5000}))

    assert status == 413 and valid(body)["issue"][0]["code"] == "too-long"


def test_metadata_is_a_valid_capability_statement_of_what_is_served(client):
    response = client.get("/fhir/metadata")

    statement = valid(response.json())
    resources = {entry["type"]: entry for entry in statement["rest"][0]["resource"]}
    assert response.status_code == 200 and statement["resourceType"] == "CapabilityStatement"
    assert set(resources) == SUPPORTED and statement["fhirVersion"] == "4.0.1"
    assert {"read", "search-type", "create"} == {i["code"] for i in resources["DiagnosticReport"]["interaction"]}
    assert [i["code"] for i in resources["Observation"]["interaction"]] == ["create"]
    assert "modality" in {p["name"] for p in resources["ImagingStudy"]["searchParam"]}


@pytest.mark.parametrize("query, accept", [("", "application/fhir+xml"), ("?_format=xml", "")])
def test_asking_for_xml_only_is_406_with_an_operation_outcome(client, query, accept):
    response = client.get(f"/fhir/Patient{query}", HTTP_ACCEPT=accept)

    assert response.status_code == 406 and valid(response.json())["issue"][0]["code"] == "not-supported"


@pytest.mark.parametrize("accept", ["application/fhir+json", "application/json, application/fhir+xml;q=0.9", "*/*", ""])
def test_json_or_anything_is_answered_in_fhir_json(client, accept):
    assert client.get("/fhir/Patient", HTTP_ACCEPT=accept).status_code == 200
