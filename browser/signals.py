"""Signal handlers that keep the keyword index in sync with the records its texts come from."""
from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from browser.services import keywords
from ingest.models import CodedConcept, Image, Report, Study


@receiver(post_save, sender=Image, dispatch_uid="browser-text-image-saved")
def image_saved(sender, instance: Image, raw: bool = False, **kwargs) -> None:
    if not raw:
        keywords.refresh_image_texts([instance.pk])


@receiver(post_delete, sender=Image, dispatch_uid="browser-text-image-deleted")
def image_deleted(sender, instance: Image, **kwargs) -> None:
    keywords.remove_image_texts([instance.pk])


@receiver(post_save, sender=Study, dispatch_uid="browser-text-study-saved")
def study_saved(sender, instance: Study, created: bool = False, raw: bool = False, **kwargs) -> None:
    if not raw and not created:  # a new study has no images yet
        keywords.refresh_study_texts([instance.pk])


@receiver(post_save, sender=Report, dispatch_uid="browser-text-report-saved")
@receiver(post_delete, sender=Report, dispatch_uid="browser-text-report-deleted")
def report_changed(sender, instance: Report, raw: bool = False, **kwargs) -> None:
    if not raw:
        keywords.refresh_study_texts([instance.study_id])


@receiver(post_save, sender=CodedConcept, dispatch_uid="browser-text-code-saved")
@receiver(post_delete, sender=CodedConcept, dispatch_uid="browser-text-code-deleted")
def code_changed(sender, instance: CodedConcept, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    study_ids = [instance.study_id, _study_of(instance, "report"), _study_of(instance, "order")]
    keywords.refresh_study_texts([pk for pk in study_ids if pk])
    if instance.patient_id:
        keywords.refresh_patient_texts(_pseudonym_of(instance))


def _study_of(code: CodedConcept, relation: str) -> int | None:
    related_id = getattr(code, f"{relation}_id")
    if not related_id:
        return None
    return type(code)._meta.get_field(relation).related_model.objects.filter(pk=related_id) \
        .values_list("study_id", flat=True).first()


def _pseudonym_of(code: CodedConcept) -> str:
    from ingest.models import Patient

    return Patient.objects.filter(pk=code.patient_id).values_list("pseudonym", flat=True).first() or ""
