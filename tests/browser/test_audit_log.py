"""The audit log records searches, case views and exports, with our ids only."""
import pytest

from browser.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_viewing_a_case_is_recorded_with_the_user(client_as, brain_repository):
    client = client_as("student")

    client.get(f"/api/images/{brain_repository[2]}/")

    event = AuditEvent.objects.get(action="view_case")
    assert event.target == f"image:{brain_repository[2]}" and event.user.groups.filter(name="student").exists()


def test_a_search_is_recorded_and_a_failed_one_is_not(client_as, brain_repository):
    client = client_as("student")

    client.post("/api/search/", {"image_id": brain_repository[0], "k": 3}, format="json")
    client.post("/api/search/", {"k": 3}, format="json")

    assert AuditEvent.objects.filter(action="search").count() == 1


def test_curators_read_the_audit_log_and_students_cannot(client_as, brain_repository):
    client_as("student").get(f"/api/images/{brain_repository[0]}/")

    rows = client_as("curator").get("/api/audit/").json()

    assert [row["action"] for row in rows if row["action"] != "sign_in"][0] == "view_case"
    assert client_as("student").get("/api/audit/").status_code == 403


def test_sign_ins_failed_sign_ins_and_fhir_reads_are_audited_without_the_typed_name(db):
    from django.test import Client

    from browser.models import AuditEvent
    from tests.factories import make_user

    client = Client()  # anonymous, unlike the suite's signed-in `client`
    researcher = make_user("researcher", username="rita")
    client.post("/api/auth/login/", {"username": "rita", "password": "wrong"})
    client.post("/api/auth/login/", {"username": "rita", "password": "pw-researcher"})
    client.get("/fhir/DiagnosticReport?_content=pneumonia")

    events = list(AuditEvent.objects.order_by("pk").values_list("action", "user_id"))
    assert events == [("sign_in_failed", None), ("sign_in", researcher.pk), ("search", researcher.pk)]
    assert "rita" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))
