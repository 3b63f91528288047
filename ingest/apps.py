"""App config of the ingestion app."""
from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "ingest"
    verbose_name = "Anonymizing ingestion"
