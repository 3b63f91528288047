"""The HTTP receivers need a curator (FHIR reads: a researcher or curator); scripts use tokens."""
import pytest
from rest_framework.test import APIClient

from browser.accounts import issue_token
from tests.factories import hl7_oru_message, make_user

pytestmark = pytest.mark.django_db

HL7 = "x-application/hl7-v2+er7"


def test_anonymous_hl7_post_is_401_and_stores_nothing(anonymous_client):
    from ingest.models import Report

    response = anonymous_client.post("/api/hl7/", hl7_oru_message(), content_type=HL7)

    assert response.status_code == 401 and Report.objects.count() == 0


def test_a_curator_token_can_post_hl7():
    curator = make_user("curator")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(curator.username)}")

    response = client.post("/api/hl7/", hl7_oru_message(), content_type=HL7)

    assert response.status_code == 200 and response["X-HL7-Ack-Code"] == "AA"


def test_fhir_auth_errors_are_operation_outcomes(anonymous_client, client_as):
    anonymous = anonymous_client.get("/fhir/Patient")
    student = client_as("student").get("/fhir/Patient")
    researcher = client_as("researcher").get("/fhir/Patient")

    assert anonymous.status_code == 401 and anonymous.json()["resourceType"] == "OperationOutcome"
    assert anonymous["WWW-Authenticate"].startswith("Token")
    assert student.status_code == 403 and student.json()["issue"][0]["code"] == "forbidden"
    assert researcher.status_code == 200 and researcher.json()["resourceType"] == "Bundle"
