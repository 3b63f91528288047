"""manage.py create_demo_users: one account per role, printed with its password."""
import os

from django.core.management.base import BaseCommand

from browser.accounts import ensure_demo_users


class Command(BaseCommand):
    help = "Create demo-student, demo-educator, demo-researcher, demo-curator and demo-admin."

    def handle(self, *args, **options):
        # Demo only: a known password per role unless CBIR_DEMO_PASSWORD says otherwise.
        shared = os.environ.get("CBIR_DEMO_PASSWORD")
        rows = ensure_demo_users(lambda role: shared or f"{role}-demo")
        self.stdout.write("demo accounts (role: username / password):")
        for role, username, password in rows:
            self.stdout.write(f"  {role:<10} {username} / {password}")
