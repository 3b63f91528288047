"""manage.py dicom_scp [--port 11112] [--ae-title CBIR] [--host 0.0.0.0] [--dataset dicom-scp]"""
import signal
import threading

from django.core.management.base import BaseCommand

from ingest.dicom_scp import start_scp, stop_scp
from ingest.services import embed_missing_images


class Command(BaseCommand):
    help = "Receive DICOM images over C-STORE (and answer C-ECHO); each one is de-identified and stored."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=11112)
        parser.add_argument("--ae-title", default="CBIR")
        parser.add_argument("--host", default="0.0.0.0", help="address to bind (default: all interfaces)")
        parser.add_argument("--dataset", default="dicom-scp", help="dataset the received images join")

    def handle(self, *args, port: int, ae_title: str, host: str, dataset: str, **options):
        # SIGINT and SIGTERM (Ctrl-C, docker stop) only set a flag: the main thread then stops the
        # server itself, instead of a KeyboardInterrupt landing in whatever pynetdicom is doing.
        stopping = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stopping.set())
        server = start_scp(host=host, port=port, ae_title=ae_title, dataset_name=dataset, block=False)
        # images acknowledged before a crash or kill but not yet embedded are caught up in the background
        threading.Thread(target=embed_missing_images, name="embed-missing", daemon=True).start()
        self.stdout.write(f"DICOM SCP {ae_title} on {host}:{port} (Ctrl-C stops)")
        self.stdout.flush()
        while not stopping.wait(0.5):
            pass
        stop_scp(server)
        self.stdout.write("stopped")
