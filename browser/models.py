"""Persisted ANN index versions."""
from django.db import models


class IndexVersion(models.Model):
    """One built index over one encoder version's vectors; only READY ones are served."""

    class Status(models.TextChoices):
        BUILDING = "building"
        READY = "ready"
        FAILED = "failed"
        RETIRED = "retired"

    encoder_version = models.ForeignKey(
        "embeddings.EncoderVersion", on_delete=models.CASCADE, related_name="indexes"
    )
    path = models.CharField(max_length=500)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BUILDING, db_index=True)
    method = models.CharField(max_length=16)  # mrpt or exact
    vector_count = models.PositiveIntegerField(default=0)
    target_recall = models.FloatField(null=True, blank=True)
    measured_recall = models.FloatField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
