"""Django admin for curators: the repository, clinical records and rejections, read-mostly."""
from django.contrib import admin

from ingest import models


@admin.register(models.Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ("id", "label", "modality", "body_part", "status", "source_format", "created_at")
    list_filter = ("status", "modality", "source_format", "series__study__dataset")
    search_fields = ("label", "notes")
    readonly_fields = ("sop_uid", "content_hash", "pixels_path", "thumbnail_path", "dicom_path")


@admin.register(models.Rejection)
class RejectionAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "reason", "created_at")
    list_filter = ("channel",)


for model in (models.Dataset, models.Study, models.Series, models.Report, models.CodedConcept, models.Order,
              models.Patient):
    admin.site.register(model)
