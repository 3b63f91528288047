"""App config of the embeddings app."""
from django.apps import AppConfig


class EmbeddingsConfig(AppConfig):
    name = "embeddings"
    verbose_name = "Encoders and embeddings"
