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
    # The encoder the UI should search with when none is asked for (set by train_demo_encoders);
    # without one, settings.DEFAULT_ENCODER applies.
    is_default = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="unique_encoder_version"),
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(is_active=True), name="one_active_version_per_encoder"
            ),
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True),
                                    name="one_default_encoder_version"),
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


class TrainingRun(models.Model):
    """One training of a learned encoder; an unfinished run with the same data and options is resumed."""

    class Status(models.TextChoices):
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"

    encoder_name = models.CharField(max_length=64, db_index=True)
    version = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING, db_index=True)
    options = models.JSONField(default=dict)  # TrainingOptions without work_dir, plus label column and max images
    dataset_dirs = models.JSONField(default=list)
    data_fingerprint = models.CharField(max_length=64, db_index=True)
    work_dir = models.CharField(max_length=500)
    history = models.JSONField(default=list, blank=True)
    validation_metric = models.FloatField(null=True, blank=True)
    active_validation_metric = models.FloatField(null=True, blank=True)  # the previous active version, same data
    is_activated = models.BooleanField(default=False)
    encoder_version = models.ForeignKey(EncoderVersion, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="training_runs")
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"training {self.encoder_name}@{self.version} ({self.status})"


class Evaluation(models.Model):
    """One `evaluate` run: retrieval metrics of several encoders on the same queries."""

    encoders = models.JSONField(default=list)  # names, in the order asked
    reference_dirs = models.JSONField(default=list)
    query_dirs = models.JSONField(default=list)  # empty: patient-level split of the reference
    label_column = models.CharField(max_length=64, default="label")
    ks = models.JSONField(default=list)
    out_dir = models.CharField(max_length=500, blank=True)
    metrics = models.JSONField(default=dict)  # the content of metrics.json
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
