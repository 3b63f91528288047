"""FHIR search over the repository: common parameters (_id, _count, _offset, patient/subject)
plus per type: ImagingStudy (modality, identifier, started, status), DiagnosticReport
(status, code, issued, _content), Condition (code=system|code, category), Patient (gender).
Unknown parameters are ignored, as the FHIR default 'lenient' handling allows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from cbir.errors import NotFound
from ingest.models import CodedConcept, Order, Patient, Report, Study
from ingest.parsers.fhir import FhirInvalid

DEFAULT_COUNT, MAX_COUNT = 50, 200
DATE_PARAM = re.compile(r"(eq|gt|lt|ge|le)?(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?\Z")
GENDER_CODES = {"male": "M", "female": "F", "other": "O", "unknown": ""}


@dataclass
class Page:
    items: list  # model instances, in id order
    total: int
    offset: int
    count: int


MAX_OFFSET = 2**31 - 1  # beyond it the database cannot take the value (SQLite: a 500)


def paging(params) -> tuple[int, int]:
    try:
        count = min(int(params.get("_count", DEFAULT_COUNT)), MAX_COUNT)
        offset = int(params.get("_offset", 0))
    except ValueError:
        raise FhirInvalid("_count and _offset must be integers") from None
    if count < 0 or offset < 0:
        raise FhirInvalid("_count and _offset must not be negative")
    if offset > MAX_OFFSET:
        raise FhirInvalid(f"_offset must be at most {MAX_OFFSET}")
    return count, offset


def page_of(queryset: QuerySet, params) -> Page:
    count, offset = paging(params)
    return Page(list(queryset.order_by("id")[offset:offset + count]), queryset.count(), offset, count)


def token(value: str) -> tuple[str | None, str]:
    """'system|code' -> (system, code); '|code' -> ('', code); 'code' -> (None, code)."""
    if "|" in value:
        system, code = value.split("|", 1)
        return system, code
    return None, value


def pseudonym_param(value: str) -> str:
    return value.split("/", 1)[1] if value.startswith("Patient/") else value


def date_filter(field: str, value: str) -> Q:
    """FHIR date search: the value is the whole day, month or year it names; prefixes eq, ge, gt, le, lt."""
    prefix, start, end = date_range(field, value)
    lookups = {"eq": Q(**{f"{field}__gte": start, f"{field}__lte": end}), "ge": Q(**{f"{field}__gte": start}),
               "gt": Q(**{f"{field}__gt": end}), "le": Q(**{f"{field}__lte": end}), "lt": Q(**{f"{field}__lt": start})}
    return lookups[prefix]


def date_range(field: str, value: str) -> tuple[str, date, date]:
    match = DATE_PARAM.match(value)
    if not match:
        raise FhirInvalid(f"invalid date search value for {field}; use [eq|ge|le|gt|lt]YYYY[-MM[-DD]]")
    prefix, year, month, day = match.group(1) or "eq", int(match.group(2)), match.group(3), match.group(4)
    try:
        start = date(year, int(month or 1), int(day or 1))
        if day:
            return prefix, start, start
        return prefix, start, _month_end(year, int(month)) if month else date(year, 12, 31)
    except ValueError:
        raise FhirInvalid(f"invalid date search value for {field}") from None


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1) - date.resolution)


def subject_filter(params, field: str) -> Q:
    value = params.get("patient") or params.get("subject")
    return Q(**{field: pseudonym_param(value)}) if value else Q()


def get_patient(pseudonym: str) -> Patient:
    patient = Patient.objects.filter(pseudonym=pseudonym).first()
    if patient is None:
        raise NotFound(f"Patient/{pseudonym[:64]} is not known")
    return patient


def search_patients(params) -> Page:
    queryset = Patient.objects.all()
    if params.get("_id"):
        queryset = queryset.filter(pseudonym=params["_id"])
    if params.get("gender") in GENDER_CODES:
        queryset = queryset.filter(sex=GENDER_CODES[params["gender"]])
    return page_of(queryset, params)


def search_reports(params) -> Page:
    queryset = Report.objects.select_related("patient").prefetch_related("codes__mapped_codes")
    queryset = queryset.filter(subject_filter(params, "patient__pseudonym"))
    if params.get("_id"):
        queryset = queryset.filter(pk=_int_id(params["_id"]))
    if params.get("status"):
        queryset = queryset.filter(status=params["status"])
    if params.get("code"):
        system, code = token(params["code"])
        queryset = queryset.filter(code=code, **({"code_system": system} if system else {}))
    if params.get("issued"):
        queryset = queryset.filter(date_filter("issued", params["issued"]))
    if params.get("_content") or params.get("_text"):
        words = params.get("_content") or params.get("_text")
        queryset = queryset.filter(Q(text__icontains=words) | Q(impression__icontains=words)
                                   | Q(codes__display__icontains=words)).distinct()
    return page_of(queryset, params)


def search_conditions(params) -> Page:
    queryset = CodedConcept.objects.filter(mapped_from__isnull=True).select_related("patient")
    queryset = queryset.prefetch_related("mapped_codes").filter(subject_filter(params, "patient__pseudonym"))
    if params.get("_id"):
        queryset = queryset.filter(pk=_int_id(params["_id"]))
    if params.get("code"):
        queryset = queryset.filter(code_filter(params["code"])).distinct()
    if params.get("category") == "encounter-diagnosis":
        queryset = queryset.filter(role=CodedConcept.Role.DIAGNOSIS)
    return page_of(queryset, params)


def code_filter(value: str) -> Q:
    """Matches the code itself or one of its crosswalk codes; several values separated by commas."""
    combined = Q()
    for item in value.split(","):
        system, code = token(item)
        own = Q(code=code) & (Q(system=system) if system else Q())
        mapped = Q(mapped_codes__code=code) & (Q(mapped_codes__system=system) if system else Q())
        combined |= own | mapped
    return combined


def search_imaging_studies(params) -> tuple[list, int]:
    """Studies with images, then announced studies (orders) not yet linked; (page items, total)."""
    studies, orders = imaging_study_querysets(params)
    count, offset = paging(params)
    study_total = studies.count()
    items = list(studies.order_by("id")[offset:offset + count])
    if len(items) < count:
        order_offset = max(offset - study_total, 0)
        items += list(orders.order_by("id")[order_offset:order_offset + count - len(items)])
    return items, study_total + orders.count()


def imaging_study_querysets(params) -> tuple[QuerySet, QuerySet]:
    studies = Study.objects.prefetch_related("series").filter(subject_filter(params, "patient_pseudonym"))
    orders = Order.objects.filter(study__isnull=True).select_related("patient")
    orders = orders.filter(subject_filter(params, "patient__pseudonym"))
    if params.get("_id"):
        kind, _, number = params["_id"].partition("-")
        studies = studies.filter(pk=_int_id(number)) if kind == "study" else studies.none()
        orders = orders.filter(pk=_int_id(number)) if kind == "order" else orders.none()
    if params.get("modality"):
        modalities = [token(value)[1] for value in params["modality"].split(",") if value]  # comma: any of them
        studies = studies.filter(any_iexact("series__modality", modalities)).distinct()
        orders = orders.filter(any_iexact("modality", modalities))
    if params.get("identifier"):
        _, value = token(params["identifier"])
        uid = value.removeprefix("urn:oid:")
        studies = studies.filter(Q(study_uid=uid) | Q(accession_number=value))
        orders = orders.filter(Q(study_uid=uid) | Q(accession_pseudonym=value))
    if params.get("started"):
        studies = studies.filter(date_filter("study_date", params["started"]))
        orders = orders.none()
    if params.get("status"):
        wanted = set(params["status"].split(","))  # stored studies are available, orders still registered
        studies = studies if "available" in wanted else studies.none()
        orders = orders if "registered" in wanted else orders.none()
    return studies, orders


def any_iexact(field: str, values: list[str]) -> Q:
    match = Q(pk__in=[])
    for value in values:
        match |= Q(**{f"{field}__iexact": value})
    return match


def _int_id(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # matches nothing: an id we never issue
