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


def test_repeated_failed_sign_ins_lock_the_account_for_a_while_and_the_right_password_waits_too(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    make_user("student", username="cy")
    client = APIClient()

    codes = [client.post("/api/auth/login/", {"username": "cy", "password": f"guess{n}"}, format="json").status_code
             for n in range(3)]
    locked = client.post("/api/auth/login/", {"username": "cy", "password": "pw-student"}, format="json")
    other = APIClient().post("/api/auth/login/", {"username": "dee", "password": "x"}, format="json")

    assert codes == [401, 401, 401]
    assert locked.status_code == 429 and "too many failed sign-ins" in locked.json()["error"]
    assert locked["Retry-After"] == "900" and other.status_code == 401  # other accounts are unaffected


def test_behind_a_trusted_proxy_the_address_limit_counts_clients_not_the_proxy(settings):
    from browser.models import AuditEvent

    settings.LOGIN_FAILURES_PER_ADDRESS = 2
    settings.TRUSTED_PROXIES = {"10.0.0.5"}
    make_user("student", username="fay")

    def attempt(client_ip: str, password: str = "wrong", forged: str = "") -> int:
        forwarded = ", ".join(filter(None, [forged, client_ip]))  # a client's own header comes first
        return APIClient(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded).post(
            "/api/auth/login/", {"username": "fay", "password": password}, format="json").status_code

    first_client = [attempt("192.0.2.1", forged="198.51.100.9") for _ in range(3)]
    second_client = attempt("192.0.2.2", password="pw-student")

    assert first_client == [401, 401, 429]  # the forged entry did not give it a fresh address
    assert second_client == 200  # the proxy's own address was never the one locked
    addresses = {event.detail["address"] for event in AuditEvent.objects.filter(action__startswith="sign")}
    assert addresses == {"192.0.2.1", "192.0.2.2"}


def test_a_sign_in_without_the_pages_csrf_token_is_refused():
    make_user("student", username="eve")
    client = APIClient(enforce_csrf_checks=True)  # as a browser on another site would send it

    forged = client.post("/api/auth/login/", {"username": "eve", "password": "pw-student"}, format="json")
    client.get("/")  # the page sets the csrftoken cookie, which the app sends back
    genuine = client.post("/api/auth/login/", {"username": "eve", "password": "pw-student"}, format="json",
                          HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)

    assert forged.status_code == 403 and genuine.status_code == 200


def test_head_needs_the_same_capability_as_get():
    client = APIClient()
    client.force_authenticate(make_user("student"))

    assert client.get("/fhir/DiagnosticReport").status_code == 403
    assert client.head("/fhir/DiagnosticReport").status_code == 403


def test_https_deployments_get_secure_cookies_hsts_and_the_proxy_header(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    environment = os.environ | {"CBIR_VAR_DIR": str(tmp_path), "DJANGO_HTTPS": "1", "DJANGO_DEBUG": "0"}
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=root, env=environment,
                            capture_output=True, text=True)

    assert result.returncode == 0 and "System check identified" in result.stdout + result.stderr, result.stderr
    for warning in ("W004", "W008", "W012", "W016"):  # HSTS, SSL redirect, session and CSRF cookies
        assert warning not in result.stdout + result.stderr


def test_with_https_on_the_health_check_still_answers_plain_http(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    environment = os.environ | {"CBIR_VAR_DIR": str(tmp_path), "DJANGO_HTTPS": "1"}
    probe = ("from django.test import Client; c = Client(); "
             "print(c.get('/api/health/').status_code, c.get('/api/auth/me/').status_code)")
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=root, env=environment, check=True)
    result = subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c", probe], cwd=root,
                            env=environment, capture_output=True, text=True)

    assert result.stdout.split() == ["200", "301"], result.stderr  # the rest redirects to https
