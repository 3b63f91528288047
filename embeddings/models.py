"""Encoder versions and the vectors they produced."""
import numpy as np
from django.db import models


class EncoderVersion(models.Model):
    """One concrete model: an encoder name, a version, its config and checkpoint."""

    name = models.CharField(max_length=64)
    version = models.CharField(max_length=64)
    dim = models.PositiveIntegerField()
    config = models.JSONField(default=dict, blank=True)
    checkpoint_path = models.CharField(max_length=500, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="unique_encoder_version"),
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(is_active=True), name="one_active_version_per_encoder"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"


class Embedding(models.Model):
    image = models.ForeignKey("ingest.Image", on_delete=models.CASCADE, related_name="embeddings")
    encoder_version = models.ForeignKey(EncoderVersion, on_delete=models.CASCADE, related_name="embeddings")
    vector = models.BinaryField()  # float32, little-endian, encoder_version.dim values
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "encoder_version"], name="one_embedding_per_image_version")
        ]

    def as_array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.vector), dtype="<f4")
