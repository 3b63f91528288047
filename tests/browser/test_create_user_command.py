"""manage.py create_user: real accounts with a role, cohort groups and a validated password."""
import io

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from browser.roles import has_capability, roles_of

pytestmark = pytest.mark.django_db


def create(monkeypatch, *arguments, password="Correct-Horse-77"):
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    call_command("create_user", *arguments, "--password-stdin", stdout=io.StringIO())


def test_an_account_gets_its_role_its_cohorts_and_can_sign_in(monkeypatch):
    create(monkeypatch, "dr-ana", "--role", "educator", "--group", "radiology-2026")

    user = authenticate(username="dr-ana", password="Correct-Horse-77")
    assert user is not None and set(roles_of(user)) == {"educator"} and has_capability(user, "teach")
    assert set(user.groups.values_list("name", flat=True)) == {"educator", "radiology-2026"}


def test_weak_passwords_existing_names_and_role_named_cohorts_are_refused(monkeypatch):
    with pytest.raises(CommandError, match="too common|too short"):
        create(monkeypatch, "weak", "--role", "student", password="password")
    create(monkeypatch, "taken", "--role", "student")
    with pytest.raises(CommandError, match="exists"):
        create(monkeypatch, "taken", "--role", "curator")
    with pytest.raises(CommandError, match="is a role"):
        create(monkeypatch, "cohort", "--role", "student", "--group", "curator")

    assert not User.objects.filter(username__in=["weak", "cohort"]).exists()
    assert set(roles_of(User.objects.get(username="taken"))) == {"student"}
