"""manage.py rebuild_search_text: rewrite the keyword index from images, reports and codes."""
from django.core.management.base import BaseCommand

from browser.services.keywords import rebuild_search_text


class Command(BaseCommand):
    help = "Rebuild the keyword (full-text) index of image texts."

    def handle(self, *args, **options):
        self.stdout.write(f"keyword index holds {rebuild_search_text()} images")
