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
