"""Read-only views of the browser's state: filtered images, their search text, encoders and indexes."""
from __future__ import annotations

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Upper

from browser.filters import CodeFilter, Filters, range_bounds
from browser.models import IndexVersion
from embeddings.encoders.registry import known_encoders
from embeddings.models import EncoderVersion
from embeddings.selectors import get_default_encoder_name
from ingest.codes import ICD9_CM, ICD10, ICD10_CM
from ingest.models import CodedConcept, Image, Patient, Report, Study
from ingest.selectors import searchable_images


def filter_searchable_images(filters: Filters) -> QuerySet[Image]:
    """Searchable images passing every active filter (label, modality, ..., age range, coded diagnosis)."""
    images = searchable_images()
    exact = {"label": "label__iexact", "modality": "modality__iexact", "body_part": "body_part__iexact",
             "dataset": "series__study__dataset__name", "sex": "series__study__sex__iexact",
             "age_min": "series__study__age_years__gte", "age_max": "series__study__age_years__lte",
             "teaching_set": "teaching_cases__teaching_set_id"}
    for name, value in filters.active().items():
        if name in exact:
            images = images.filter(**{exact[name]: value})
    code_filter = filters.code_filter()
    if code_filter is not None:
        images = images.filter(series__study_id__in=studies_with_code(code_filter))
    return images


def studies_with_code(code_filter: CodeFilter) -> QuerySet[Study]:
    """Studies carrying the code directly, through a report or order, or through the patient's diagnoses."""
    codes = CodedConcept.objects.filter(_code_condition(code_filter, "system", "code"))
    pseudonyms = Patient.objects.filter(codes__in=codes).exclude(pseudonym="").values("pseudonym")
    main_report_codes = Report.objects.filter(_code_condition(code_filter, "code_system", "code"))
    return Study.objects.filter(
        Q(codes__in=codes) | Q(reports__codes__in=codes) | Q(orders__codes__in=codes)
        | Q(reports__in=main_report_codes) | Q(patient_pseudonym__in=pseudonyms)
    ).values("pk")


ICD10_CATEGORY_PATTERN = r"^[A-Za-z][0-9][0-9A-Za-z]"
CharField.register_lookup(Upper)  # code__upper__gte: range bounds compare upper-case, as codes are written


def _code_condition(code_filter: CodeFilter, system_field: str, code_field: str) -> Q:
    condition = Q(**{f"{system_field}__in": code_filter.systems})
    if code_filter.is_range:  # any case, and only whole categories (a letter, two digits, ...): "J1" is no code
        low, high = range_bounds(code_filter)
        return condition & Q(**{f"{code_field}__upper__gte": low.upper(), f"{code_field}__upper__lte": high.upper(),
                                f"{code_field}__regex": ICD10_CATEGORY_PATTERN})
    if set(code_filter.systems) & ICD_SYSTEMS:  # "J18.9" and "J189" are one ICD code, however it was written
        return condition & _any_spelling(code_field, icd_spellings(code_filter.code))
    return condition & Q(**{f"{code_field}__iexact": code_filter.code})


ICD_SYSTEMS = {ICD10, ICD10_CM, ICD9_CM}


def icd_spellings(code: str) -> set[str]:
    """An ICD code with and without the dot after its three-character category."""
    plain = code.replace(".", "")
    return {plain, f"{plain[:3]}.{plain[3:]}"} if len(plain) > 3 else {plain}


def _any_spelling(field: str, spellings: set[str]) -> Q:
    condition = Q()
    for spelling in sorted(spellings):
        condition |= Q(**{f"{field}__iexact": spelling})
    return condition


def list_images(*, filters: Filters, limit: int, offset: int) -> tuple[int, list[Image]]:
    images = filter_searchable_images(filters).select_related("series__study__dataset")
    return images.count(), list(images.order_by("pk")[offset:offset + limit])


def image_search_texts(image_ids: list[int]) -> dict[int, str]:
    """The keyword-searchable text of each image: labels, notes, descriptions, report text and code names."""
    images = list(Image.objects.filter(pk__in=image_ids).select_related("series__study"))
    study_texts = _study_texts({image.series.study_id for image in images})
    return {image.pk: " ".join(part for part in (
        image.label, " ".join(map(str, image.labels or [])), image.notes, image.series.description,
        study_texts.get(image.series.study_id, "")) if part) for image in images}


def _study_texts(study_ids: set[int]) -> dict[int, str]:
    parts: dict[int, list[str]] = {study_id: [] for study_id in study_ids}
    for study_id, description in Study.objects.filter(pk__in=study_ids).values_list("pk", "description"):
        parts[study_id].append(description)
    reports = Report.objects.filter(study_id__in=study_ids).values_list("study_id", "code", "code_display", "text",
                                                                        "impression")
    for study_id, code, *texts in reports:
        parts[study_id].extend((*searchable_code(code), *texts))
    for study_id, display, code in _codes_of_studies(study_ids):
        parts[study_id].extend((display, *searchable_code(code)))
    return {study_id: " ".join(text for text in texts if text) for study_id, texts in parts.items()}


def _codes_of_studies(study_ids: set[int]) -> list[tuple[int, str, str]]:
    direct = CodedConcept.objects.filter(study_id__in=study_ids).values_list("study_id", "display", "code")
    by_report = CodedConcept.objects.filter(report__study_id__in=study_ids) \
        .values_list("report__study_id", "display", "code")
    by_order = CodedConcept.objects.filter(order__study_id__in=study_ids).values_list("order__study_id", "display", "code")
    studies_of: dict[str, list[int]] = {}  # a patient's codes belong to every study of theirs
    for pseudonym, study_id in Study.objects.filter(pk__in=study_ids).exclude(patient_pseudonym="") \
            .values_list("patient_pseudonym", "pk"):
        studies_of.setdefault(pseudonym, []).append(study_id)
    by_patient = [(study_id, display, code) for pseudonym, display, code in
                  CodedConcept.objects.filter(patient__pseudonym__in=list(studies_of))
                  .values_list("patient__pseudonym", "display", "code") for study_id in studies_of[pseudonym]]
    return [*direct, *by_report, *by_order, *by_patient]


def searchable_code(code: str) -> tuple[str, ...]:
    """A code as written and, for a dotted code like C71.9, also as one word (c719): a keyword search
    for "C71.9" looks for that word, where the dotted form alone would be two words, "c71" and "9"."""
    if not code:
        return ()
    return (code, code.replace(".", "")) if "." in code else (code,)


def image_ids_of_studies(study_ids: list[int]) -> list[int]:
    return list(Image.objects.filter(series__study_id__in=study_ids).values_list("pk", flat=True))


def study_ids_of_patient(pseudonym: str) -> list[int]:
    if not pseudonym:
        return []
    return list(Study.objects.filter(patient_pseudonym=pseudonym).values_list("pk", flat=True))


def newest_ready_index(version: EncoderVersion) -> IndexVersion | None:
    """The index that serves `version` (the newest READY one), or None before the first build."""
    return IndexVersion.objects.filter(encoder_version=version, status=IndexVersion.Status.READY).order_by("-id").first()


def index_summary(version: EncoderVersion) -> dict | None:
    index = newest_ready_index(version)
    if index is None:
        return None
    return {"id": index.pk, "method": index.method, "vector_count": index.vector_count,
            "target_recall": index.target_recall, "measured_recall": index.measured_recall,
            "created_at": index.created_at}


def list_encoder_status() -> list[dict]:
    active = {version.name: version for version in EncoderVersion.objects.filter(is_active=True)}
    rows = []
    default = get_default_encoder_name()
    for name in known_encoders():
        version = active.get(name)
        rows.append({"name": name, "is_default": name == default,
                     "version": version.version if version else None, "dim": version.dim if version else None,
                     "index": index_summary(version) if version else None})
    return rows


def health_summary() -> dict:
    return {"status": "ok", "images": searchable_images().count(),
            "quarantined": Image.objects.filter(status=Image.Status.QUARANTINED).count(),
            "default_encoder": get_default_encoder_name()}
