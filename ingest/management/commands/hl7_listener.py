"""python manage.py hl7_listener [--host 127.0.0.1] [--port 2575]: receive HL7 v2 over MLLP."""
import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand

from ingest.hl7_listener import serve


class Command(BaseCommand):
    help = "Receive HL7 v2 messages over MLLP and answer each with an ACK or NAK."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=getattr(settings, "HL7_LISTENER_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(getattr(settings, "HL7_LISTENER_PORT", 2575)))

    def handle(self, *args, host: str, port: int, **options):
        self.stdout.write(f"hl7 listener on {host}:{port}")
        try:
            asyncio.run(serve(host, port))
        except KeyboardInterrupt:
            pass
