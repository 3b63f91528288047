"""python manage.py hl7_listener [--host 127.0.0.1] [--port 2575]: receive HL7 v2 over MLLP."""
import asyncio
import signal

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
        self.stdout.flush()
        asyncio.run(serve_until_signalled(host, port))
        self.stdout.write("stopped")


async def serve_until_signalled(host: str, port: int) -> None:
    """SIGINT and SIGTERM (Ctrl-C, docker stop) stop accepting and end the loop. A message is acknowledged
    only after it is committed, so one cut off here gets no ACK and its sender sends it again."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    await serve(host, port, stop=stop)
