"""GET /api/groups/: the groups an educator may share a teaching set with (cohorts, not role groups)."""
import pytest
from django.contrib.auth.models import Group

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_educators_see_cohort_groups_with_member_counts_sorted_by_name(client_as):
    cohort = Group.objects.create(name="year-3")
    Group.objects.create(name="residents")
    for _ in range(2):
        make_user("student").groups.add(cohort)

    response = client_as("educator").get("/api/groups/")

    assert response.status_code == 200
    assert response.json() == [{"name": "residents", "member_count": 0}, {"name": "year-3", "member_count": 2}]


def test_role_groups_are_not_offered(client_as):
    make_user("curator")

    names = [group["name"] for group in client_as("educator").get("/api/groups/").json()]

    assert names == []


def test_a_listed_group_can_be_chosen_for_a_set(client_as):
    Group.objects.create(name="year-3")
    educator = client_as("educator")
    created = educator.post("/api/teaching-sets/", {"title": "Gliomas"}, format="json").json()
    chosen = [group["name"] for group in educator.get("/api/groups/").json()]

    response = educator.patch(f"/api/teaching-sets/{created['id']}/", {"shared_with_groups": chosen}, format="json")

    assert response.status_code == 200 and response.json()["shared_with_groups"] == ["year-3"]
