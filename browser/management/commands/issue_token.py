"""manage.py issue_token USERNAME: print an API token for 'Authorization: Token <token>'."""
from django.core.management.base import BaseCommand, CommandError

from browser.accounts import issue_token
from cbir.errors import CbirError


class Command(BaseCommand):
    help = "Print the API token of a user (created on first use)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        try:
            self.stdout.write(issue_token(username))
        except CbirError as exc:
            raise CommandError(exc.message) from exc
