"""The de-identified image repository: datasets, studies, series, images."""
from django.db import models


class Dataset(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Study(models.Model):
    """One imaging study; identity fields hold pseudonyms, never raw identifiers."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="studies")
    study_uid = models.CharField(max_length=64, unique=True)
    accession_number = models.CharField(max_length=64, blank=True, db_index=True)
    patient_pseudonym = models.CharField(max_length=64, blank=True, db_index=True)
    study_date = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)
    sex = models.CharField(max_length=1, blank=True)  # M, F, O or empty
    age_years = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "studies"


class Series(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="series")
    series_uid = models.CharField(max_length=64, unique=True)
    modality = models.CharField(max_length=16, blank=True, db_index=True)
    body_part = models.CharField(max_length=64, blank=True, db_index=True)
    description = models.TextField(blank=True)
    number = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "series"


class Image(models.Model):
    """One stored 2D image (a DICOM instance's representative frame, or a PNG/JPEG)."""

    class Status(models.TextChoices):
        READY = "ready"
        QUARANTINED = "quarantined"

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="images")
    sop_uid = models.CharField(max_length=64, unique=True)
    content_hash = models.CharField(max_length=64, unique=True)
    source_format = models.CharField(max_length=16)  # png, jpeg, dicom
    original_name = models.CharField(max_length=255, blank=True)
    pixels_path = models.CharField(max_length=255)  # 8-bit PNG, relative to MEDIA_ROOT
    thumbnail_path = models.CharField(max_length=255)
    dicom_path = models.CharField(max_length=255, blank=True)  # de-identified DICOM, if any
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    frame_count = models.PositiveIntegerField(default=1)
    instance_number = models.IntegerField(null=True, blank=True)
    modality = models.CharField(max_length=16, blank=True, db_index=True)
    body_part = models.CharField(max_length=64, blank=True, db_index=True)
    label = models.CharField(max_length=128, blank=True, db_index=True)
    labels = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY, db_index=True)
    status_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    @property
    def study(self) -> Study:
        return self.series.study


class Rejection(models.Model):
    """Something a receiver refused, with the reason; never holds identifying content."""

    channel = models.CharField(max_length=32, db_index=True)  # dicom-scp, stow-rs, hl7-mllp, hl7-http, fhir, folder, upload
    reason = models.TextField()
    detail = models.JSONField(default=dict, blank=True)  # e.g. SOP class, transfer syntax, message type
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
