"""manage.py dicom_scp [--port 11112] [--ae-title CBIR] [--host 0.0.0.0] [--dataset dicom-scp]"""
from django.core.management.base import BaseCommand

from ingest.dicom_scp import start_scp


class Command(BaseCommand):
    help = "Receive DICOM images over C-STORE (and answer C-ECHO); each one is de-identified and stored."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=11112)
        parser.add_argument("--ae-title", default="CBIR")
        parser.add_argument("--host", default="0.0.0.0", help="address to bind (default: all interfaces)")
        parser.add_argument("--dataset", default="dicom-scp", help="dataset the received images join")

    def handle(self, *args, port: int, ae_title: str, host: str, dataset: str, **options):
        self.stdout.write(f"DICOM SCP {ae_title} on {host}:{port} (Ctrl-C stops)")
        try:
            start_scp(host=host, port=port, ae_title=ae_title, dataset_name=dataset, block=True)
        except KeyboardInterrupt:
            self.stdout.write("stopped")
