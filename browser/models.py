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


class TeachingSet(models.Model):
    """An educator's curated, ordered set of cases, optionally shared read-only."""

    owner = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="teaching_sets")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_shared_with_students = models.BooleanField(default=False)
    shared_with_groups = models.ManyToManyField("auth.Group", blank=True, related_name="teaching_sets")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]


class TeachingCase(models.Model):
    teaching_set = models.ForeignKey(TeachingSet, on_delete=models.CASCADE, related_name="cases")
    image = models.ForeignKey("ingest.Image", on_delete=models.CASCADE, related_name="teaching_cases")
    position = models.PositiveIntegerField(default=0)
    teaching_note = models.TextField(blank=True)
    key_findings = models.TextField(blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["teaching_set", "image"], name="one_case_per_image_per_set")]


class SavedSearch(models.Model):
    """A researcher's query: its parameters, encoder version and query vector (never the image)."""

    owner = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=200)
    parameters = models.JSONField(default=dict)  # k, filters, q, ranking, image_id
    encoder_version = models.ForeignKey("embeddings.EncoderVersion", on_delete=models.PROTECT, null=True, blank=True)
    query_vector = models.BinaryField(null=True, blank=True)  # float32 of an uploaded query
    created_at = models.DateTimeField(auto_now_add=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class AuditEvent(models.Model):
    """Who searched, viewed a case or exported what; holds our own ids, never patient identity."""

    user = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=32, db_index=True)  # search, view_case, export, ...
    target = models.CharField(max_length=200, blank=True)  # e.g. "image:17", "teaching_set:3"
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
