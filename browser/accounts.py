"""Accounts: role groups, demo users and API tokens."""
from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction
from rest_framework.authtoken.models import Token

from browser.roles import ADMIN, ROLES
from cbir.errors import NotFound


def ensure_role_groups() -> dict[str, Group]:
    return {role: Group.objects.get_or_create(name=role)[0] for role in ROLES}


@transaction.atomic
def create_user_with_role(*, username: str, password: str, role: str) -> User:
    """Create (or reset) a user holding exactly one role; admins are superusers."""
    groups = ensure_role_groups()
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(password)
    user.is_staff = user.is_superuser = role == ADMIN
    user.save()
    user.groups.set([groups[role]])
    return user


def ensure_demo_users(password_for) -> list[tuple[str, str, str]]:
    """One account per role, named after it; returns (role, username, password) rows."""
    rows = []
    for role in ROLES:
        username = f"demo-{role}"
        password = password_for(role)
        create_user_with_role(username=username, password=password, role=role)
        rows.append((role, username, password))
    return rows


def issue_token(username: str) -> str:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"no user named {username!r}")
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


# --- password guessing ---------------------------------------------------------------------------
# Failed sign-ins are counted per account and per client address in the cache; past the limit, that
# account (or address) is refused for the rest of the window without the password being checked.
# Successful sign-ins do not count, so a hospital whose users share one address is not locked out.
LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60


def login_refusal(username: str, address: str) -> str:
    """'' when this sign-in may be tried, else why not (the caller answers 429)."""
    from django.conf import settings
    from django.core.cache import cache

    later = f"try again in {LOGIN_FAILURE_WINDOW_SECONDS // 60} minutes"
    if cache.get(_failure_key("account", username.lower()), 0) >= settings.LOGIN_FAILURES_PER_ACCOUNT:
        return f"too many failed sign-ins for this account; {later}"
    if cache.get(_failure_key("address", address), 0) >= settings.LOGIN_FAILURES_PER_ADDRESS:
        return f"too many failed sign-ins from this address; {later}"
    return ""


def record_login_failure(username: str, address: str) -> None:
    from django.core.cache import cache

    for key in (_failure_key("account", username.lower()), _failure_key("address", address)):
        cache.add(key, 0, LOGIN_FAILURE_WINDOW_SECONDS)
        cache.incr(key)


def clear_login_failures(username: str) -> None:
    from django.core.cache import cache

    cache.delete(_failure_key("account", username.lower()))


def _failure_key(kind: str, value: str) -> str:
    from ingest.pseudonyms import keyed_digest

    return f"login-failures:{kind}:{keyed_digest('login', value).hex()[:32]}"  # no user name in the cache


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy (CBIR_TRUSTED_PROXIES) the last
    X-Forwarded-For entry that is not itself a trusted proxy. Clients cannot forge it: entries they add
    come before what the proxies append."""
    from django.conf import settings

    address = request.META.get("REMOTE_ADDR", "")
    trusted = getattr(settings, "TRUSTED_PROXIES", set())
    if address not in trusted:
        return address
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    for entry in reversed(forwarded):
        if entry not in trusted:
            return entry[:64]
    return address
