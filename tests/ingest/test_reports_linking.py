"""Reports link to their study by accession number or Study Instance UID, whichever comes first."""
import pytest
from pydicom.uid import generate_uid

from ingest.codes import ICD9_CM, ICD10_CM
from ingest.hl7_intake import receive_hl7_message
from ingest.models import CodedConcept, Image, Report
from ingest.reports import link_reports_to_study
from ingest.services import ingest_image_bytes
from tests.factories import dicom_bytes, hl7_oru_message, make_dataset

pytestmark = pytest.mark.django_db


def ingest_dicom(**overrides) -> Image:
    data = dicom_bytes(**overrides)
    return ingest_image_bytes(data=data, dataset=make_dataset("linking")).image


def send_report(**overrides) -> Report:
    reply = receive_hl7_message(text=hl7_oru_message(**overrides), channel="hl7-http")
    assert reply.ack_code == "AA"
    return Report.objects.order_by("-id").first()


def test_report_arriving_after_images_links_by_accession_and_annotates_images():
    image = ingest_dicom(PatientID="P-100", AccessionNumber="ACC-100")

    report = send_report(patient_id="P-100", accession="ACC-100", impression="Lobar pneumonia.")

    image.refresh_from_db()
    assert report.study_id == image.series.study_id
    assert f"[report {report.pk}] final: Lobar pneumonia." in image.notes
    assert "Pneumonia" in image.labels
    assert {"system": ICD10_CM, "code": "J18.9"}.items() <= next(
        code for code in image.metadata["codes"] if code["code"] == "J18.9").items()
    assert image.metadata["report_ids"] == [report.pk]


def test_report_arriving_before_images_links_when_the_study_is_announced():
    study_uid = generate_uid()
    report = send_report(patient_id="P-200", accession="", study_uid=study_uid)
    image = ingest_dicom(PatientID="P-200", AccessionNumber="", StudyInstanceUID=study_uid)

    link_reports_to_study(image.series.study)  # what the image path calls after storing an image

    report.refresh_from_db()
    image.refresh_from_db()
    assert report.study_id == image.series.study_id
    assert "Right lower lobe pneumonia." in image.notes
    assert report.codes.filter(study=image.series.study).count() == report.codes.count() > 0


def test_link_reports_to_study_annotates_images_added_after_the_first_link():
    send_report(patient_id="P-300", accession="ACC-300")
    first = ingest_dicom(PatientID="P-300", AccessionNumber="ACC-300", StudyInstanceUID="1.2.3.300")
    link_reports_to_study(first.series.study)

    second = ingest_dicom(PatientID="P-300", AccessionNumber="ACC-300", StudyInstanceUID="1.2.3.300")
    assert link_reports_to_study(second.series.study) == 0

    second.refresh_from_db()
    assert "Right lower lobe pneumonia." in second.notes


def test_relinking_does_not_duplicate_image_annotations():
    image = ingest_dicom(PatientID="P-400", AccessionNumber="ACC-400")
    send_report(patient_id="P-400", accession="ACC-400")

    link_reports_to_study(image.series.study)
    link_reports_to_study(image.series.study)

    image.refresh_from_db()
    assert image.notes.count("[report ") == 1
    assert image.notes.count("[codes] ") == 1
    assert image.labels.count("Pneumonia") == 1


def test_report_and_images_share_the_patient_pseudonym():
    image = ingest_dicom(PatientID="P-500", AccessionNumber="ACC-500")

    report = send_report(patient_id="P-500", accession="ACC-500")

    assert report.patient.pseudonym == image.series.study.patient_pseudonym


def test_icd9_diagnosis_is_stored_with_its_icd10_cm_crosswalk_code():
    report = send_report(diagnosis=("191.9", "Malignant neoplasm of brain, unspecified", "I9C"))

    original = CodedConcept.objects.get(report=report, system=ICD9_CM)
    mapped = CodedConcept.objects.get(mapped_from=original)
    assert (mapped.system, mapped.code, mapped.role) == (ICD10_CM, "C71.9", "diagnosis")


def post_fhir(client, data) -> None:
    import json

    response = client.post("/fhir/", data=json.dumps(data), content_type="application/fhir+json")
    assert response.status_code == 200, response.content


def fhir_transaction(*, patient_id: str, study_uid: str, accession: str) -> dict:
    study = {"resourceType": "ImagingStudy", "id": "s1", "status": "available", "subject": {"reference": "Patient/p"},
             "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{study_uid}"},
                            {"type": {"coding": [{"code": "ACSN"}]}, "value": accession}]}
    report = {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "MR brain"},
              "subject": {"reference": "Patient/p"}, "imagingStudy": [{"reference": "ImagingStudy/s1"}],
              "conclusion": "Sellar mass, pituitary adenoma.",
              "conclusionCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "D35.2",
                                              "display": "Benign neoplasm of pituitary gland"}]}]}
    patient = {"resourceType": "Patient", "id": "p", "identifier": [{"value": patient_id}]}
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": f"http://h/fhir/{item['resourceType']}/{item['id'] if 'id' in item else 'r'}", "resource": item,
         "request": {"method": "POST", "url": item["resourceType"]}} for item in (patient, study, report)]}


def test_fhir_report_before_dicom_images_links_through_its_imaging_study(client):
    study_uid = generate_uid()
    post_fhir(client, fhir_transaction(patient_id="P-600", study_uid=study_uid, accession="ACC-600"))

    image = ingest_dicom(PatientID="P-600", AccessionNumber="ACC-600", StudyInstanceUID=study_uid)
    link_reports_to_study(image.series.study)

    image.refresh_from_db()
    report = Report.objects.get()
    assert report.study_id == image.series.study_id
    assert report.patient.pseudonym == image.series.study.patient_pseudonym
    assert "Sellar mass, pituitary adenoma." in image.notes
    assert "Benign neoplasm of pituitary gland" in image.labels
    assert {code["code"] for code in image.metadata["codes"]} == {"D35.2", "227.3"}


def test_fhir_imaging_study_view_shows_the_linked_dicom_study(client):
    from fhir.resources.R4B import get_fhir_model_class

    study_uid = generate_uid()
    image = ingest_dicom(PatientID="P-700", AccessionNumber="ACC-700", StudyInstanceUID=study_uid)
    post_fhir(client, fhir_transaction(patient_id="P-700", study_uid=study_uid, accession="ACC-700"))

    bundle = client.get("/fhir/ImagingStudy?modality=CT").json()
    reports = client.get(f"/fhir/DiagnosticReport?patient={image.series.study.patient_pseudonym}").json()

    get_fhir_model_class("Bundle").model_validate(bundle)
    resource = bundle["entry"][0]["resource"]
    assert bundle["total"] == 1 and resource["id"] == f"study-{image.series.study_id}"
    assert resource["numberOfInstances"] == 1 and resource["series"][0]["modality"]["code"] == "CT"
    assert reports["entry"][0]["resource"]["imagingStudy"] == [{"reference": f"ImagingStudy/{resource['id']}"}]


def test_hl7_order_before_images_links_by_study_uid_and_its_diagnoses_reach_the_images():
    from ingest.models import Order

    study_uid = generate_uid()
    omi = "\r".join(["MSH|^~\\&|RIS|H|CBIR|CBIR|20240101||OMI^O23|OMI-1|P|2.5.1", "PID|1||P-800^^^H^MR||ROE^ANN",
                     "ORC|NW|PL-8", "OBR|1|PL-8||MRBRAIN^MR brain^L", f"IPC|ACC-800|RP-1|{study_uid}|SPS-1|MR",
                     "DG1|1||D32.0^Benign neoplasm of cerebral meninges^I10C||"])
    assert receive_hl7_message(text=omi, channel="hl7-http").ack_code == "AA"

    image = ingest_dicom(PatientID="P-800", AccessionNumber="ACC-800", StudyInstanceUID=study_uid, Modality="MR")
    link_reports_to_study(image.series.study)

    image.refresh_from_db()
    assert Order.objects.get().study_id == image.series.study_id
    assert "Benign neoplasm of cerebral meninges" in image.labels
    assert {code["code"] for code in image.metadata["codes"]} == {"D32.0", "225.2"}


def test_storing_an_image_links_the_waiting_report_by_itself(django_capture_on_commit_callbacks):
    report = send_report(patient_id="P-400", accession="ACC-400")

    with django_capture_on_commit_callbacks(execute=True):
        image = ingest_dicom(PatientID="P-400", AccessionNumber="ACC-400", StudyInstanceUID="1.2.3.400")

    report.refresh_from_db()
    image.refresh_from_db()
    assert report.study_id == image.series.study_id
    assert "Right lower lobe pneumonia." in image.notes
