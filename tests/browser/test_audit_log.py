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

    assert rows[0]["action"] == "view_case"
    assert client_as("student").get("/api/audit/").status_code == 403
