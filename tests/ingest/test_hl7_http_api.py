"""POST /api/hl7/: the same messages over HTTP, answered with an ACK body."""
import hl7
import pytest

from ingest.models import InboundMessage, Rejection, Report
from tests.factories import hl7_oru_message

pytestmark = pytest.mark.django_db


def post_hl7(client, text: str):
    return client.post("/api/hl7/", data=text.encode("utf-8"), content_type="x-application/hl7-v2+er7")


def test_post_hl7_stores_report_and_answers_aa(client):
    response = post_hl7(client, hl7_oru_message(control_id="H1"))

    ack = hl7.parse(response.content.decode())
    assert response.status_code == 200
    assert (str(ack.segment("MSA")[1]), str(ack.segment("MSA")[2])) == ("AA", "H1")
    assert Report.objects.count() == 1


def test_post_hl7_accepts_lf_separated_sample_file(client, datasets_dir):
    text = (datasets_dir / "interop_samples/hl7v2/testcase_002_Staging_ORU_O01_short_linked_to_001_ORM.hl7").read_text()

    response = post_hl7(client, text)

    assert response["X-HL7-Ack-Code"] == "AA"
    assert "Sample quality of Dried blood spot: Acceptable" in Report.objects.get().text


def test_post_hl7_naks_missing_msh_and_records_rejection_without_content(client):
    response = post_hl7(client, "PID|1||SECRET-ID^^^H^MR||SECRETNAME^X")

    ack = hl7.parse(response.content.decode())
    rejection = Rejection.objects.get()
    assert str(ack.segment("MSA")[1]) == "AR"
    assert str(ack.segment("ERR")[3][0][0]) == "100"
    assert rejection.channel == "hl7-http"
    assert "SECRET" not in rejection.reason + str(rejection.detail)
    assert InboundMessage.objects.count() == 0


def test_post_hl7_resent_message_is_a_no_op(client):
    message = hl7_oru_message(control_id="H2")

    codes = [post_hl7(client, message)["X-HL7-Ack-Code"] for _ in range(2)]

    assert codes == ["AA", "AA"]
    assert (InboundMessage.objects.count(), Report.objects.count()) == (1, 1)


def test_reports_and_codes_from_hl7_samples_are_served_as_valid_fhir(client, datasets_dir):
    from fhir.resources.R4B import get_fhir_model_class

    for path in sorted((datasets_dir / "interop_samples" / "hl7v2").glob("*.hl7")):
        post_hl7(client, path.read_text("utf-8"))

    reports = client.get("/fhir/DiagnosticReport?_count=200").json()
    conditions = client.get("/fhir/Condition").json()
    orders = client.get("/fhir/ImagingStudy").json()

    for bundle in (reports, conditions, orders):
        get_fhir_model_class("Bundle").model_validate(bundle)
    assert reports["total"] == Report.objects.count() == 19  # one per OBR of the ORU^R01 samples: 1+1+13+1+2+1
    assert {entry["resource"]["code"]["coding"][0]["code"] for entry in conditions["entry"]} >= {"Z00.00", "E11.51"}
