"""manage.py create_user USERNAME --role ROLE: a real account (the demo's are for demos only)."""
from __future__ import annotations

import getpass
import sys

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from browser.accounts import create_user_with_role
from browser.roles import ROLES


class Command(BaseCommand):
    help = ("Create an account holding one role, optionally in cohort groups (for sharing teaching sets). "
            "The password is asked twice, or read from standard input with --password-stdin.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--group", action="append", default=[], metavar="COHORT",
                            help="cohort group to join (created if missing); repeat for several")
        parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        parser.add_argument("--reset", action="store_true", help="an existing account gets this role and password")

    def handle(self, *args, username: str, role: str, group: list[str], password_stdin: bool, reset: bool,
               **options):
        if User.objects.filter(username=username).exists() and not reset:
            raise CommandError(f"user {username!r} exists; --reset gives it this role and a new password")
        clashing = sorted(set(group) & set(ROLES))
        if clashing:
            raise CommandError(f"{', '.join(clashing)} is a role, not a cohort: use --role")
        password = read_password(password_stdin)
        try:
            validate_password(password, User(username=username))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        user = create_user_with_role(username=username, password=password, role=role)
        user.groups.add(*[Group.objects.get_or_create(name=name)[0] for name in group])
        self.stdout.write(f"{username}: {role}" + (f", cohorts {', '.join(sorted(group))}" if group else ""))


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first, second = getpass.getpass("password: "), getpass.getpass("again: ")
    if first != second:
        raise CommandError("the two passwords differ")
    return first
