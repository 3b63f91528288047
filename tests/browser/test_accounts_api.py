"""Sign-in, roles, API tokens and the demo accounts."""
import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_login_returns_roles_and_capabilities():
    make_user("educator", username="ana")

    response = APIClient().post("/api/auth/login/", {"username": "ana", "password": "pw-educator"}, format="json")

    assert response.status_code == 200
    assert response.json()["roles"] == ["educator"] and "teach" in response.json()["capabilities"]


def test_wrong_password_is_401_with_a_message():
    make_user("student", username="bo")

    response = APIClient().post("/api/auth/login/", {"username": "bo", "password": "nope"}, format="json")

    assert response.status_code == 401 and "wrong username or password" in response.json()["error"]


def test_anonymous_workspace_request_is_401():
    response = APIClient().get("/api/teaching-sets/")

    assert response.status_code == 401


def test_issue_token_command_prints_a_token_that_authenticates(capsys):
    make_user("researcher", username="cy")

    call_command("issue_token", "cy")
    token = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert client.get("/api/auth/me/").json()["username"] == "cy"


def test_issue_token_for_an_unknown_user_fails_clearly():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no user named 'ghost'"):
        call_command("issue_token", "ghost")


def test_demo_users_exist_for_every_role_and_can_sign_in(capsys):
    call_command("create_demo_users")

    output = capsys.readouterr().out
    for role in ("student", "educator", "researcher", "curator", "admin"):
        assert f"demo-{role} / {role}-demo" in output
        login = APIClient().post("/api/auth/login/", {"username": f"demo-{role}", "password": f"{role}-demo"},
                                 format="json")
        assert login.status_code == 200 and login.json()["roles"] == [role]
