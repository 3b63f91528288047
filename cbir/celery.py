"""The Celery app; eager (no broker) unless CELERY_BROKER_URL is set."""
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cbir.settings")

app = Celery("cbir")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def limit_torch_threads(**_kwargs) -> None:
    """Keep prefork children from oversubscribing the cores with torch threads."""
    threads = os.environ.get("CBIR_WORKER_TORCH_THREADS")
    if threads:
        import torch

        torch.set_num_threads(int(threads))
