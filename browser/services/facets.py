"""Facet counts for the query form: each filter's values with how many searchable images match the other filters."""
from __future__ import annotations

import string
from dataclasses import replace

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from browser.filters import Filters
from browser.selectors import filter_searchable_images
from browser.teaching import visible_teaching_sets
from ingest.models import Image

FACET_LIMIT = 50  # values per facet; the rest are counted in no list ("truncated": true)
# Image fields grouped on; label, modality, body part and sex are filtered case-insensitively (iexact).
VALUE_FIELDS = {"label": "label", "modality": "modality", "body_part": "body_part", "sex": "series__study__sex",
                "dataset": "series__study__dataset__name"}
CASE_INSENSITIVE = {"label", "modality", "body_part", "sex"}
AGE_BUCKETS = ((0, 17), (18, 39), (40, 59), (60, 79), (80, None))  # inclusive years; None: no upper bound
UNKNOWN_AGE = "unknown"


def count_facets(*, filters: Filters, user: User) -> dict:
    """{"total", "facets": {name: {"values": [{"value", "count", ...}], "truncated"}}}.

    Each facet is counted over the images matching every active filter except its own (its own selection
    must not hide the values the user may switch to); the selected value is always listed, if need be
    with count 0. Value facets are sorted by count descending, then value; age buckets by age."""
    facets = {name: _value_facet(filters, name) for name in VALUE_FIELDS}
    facets["age"] = _age_facet(replace(filters, age_min=None, age_max=None))
    facets["teaching_set"] = _teaching_set_facet(replace(filters, teaching_set=None), user=user,
                                                 selected=filters.teaching_set)
    return {"total": _distinct_count(filter_searchable_images(filters)), "facets": facets}


def _distinct_count(images: QuerySet[Image]) -> int:
    return images.values("pk").distinct().count()


def _value_facet(filters: Filters, name: str) -> dict:
    field = VALUE_FIELDS[name]
    images = filter_searchable_images(replace(filters, **{name: ""}))
    rows = (images.exclude(**{f"{field}__isnull": True}).exclude(**{field: ""})
            .values(field).annotate(count=Count("pk", distinct=True)).order_by())
    counts = [(row[field], row["count"]) for row in rows]
    if name in CASE_INSENSITIVE:
        counts = _merge_spellings(counts)
    values = [{"value": value, "count": count} for value, count in counts]
    return _capped(values, selected=getattr(filters, name), matches=_matcher(name))


def _merge_spellings(counts: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """'CT' and 'ct' are one value to an iexact filter: one entry, spelled as most images spell it."""
    merged: dict[str, list] = {}
    for value, count in sorted(counts, key=lambda pair: -pair[1]):
        entry = merged.setdefault(fold_like_iexact(value), [value, 0])
        entry[1] += count
    return [(value, count) for value, count in merged.values()]


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold_like_iexact(text: str) -> str:
    """Case-folded the way the database's iexact compares, so that a facet's count is what its filter finds:
    SQLite folds ASCII letters only ("Ödem" and "ödem" stay two values), PostgreSQL compares UPPER()."""
    if connection.vendor == "sqlite":
        return str(text).translate(_ASCII_LOWER)
    return str(text).upper()


def _matcher(name: str):
    if name in CASE_INSENSITIVE:
        return lambda value, selected: fold_like_iexact(value) == fold_like_iexact(selected)
    return lambda value, selected: value == selected


def _capped(values: list[dict], *, selected, matches, sort_key=None) -> dict:
    """The first FACET_LIMIT values by count, plus the selected value wherever it falls (count 0 if absent)."""
    values = sorted(values, key=sort_key or (lambda item: (-item["count"], str(item["value"]).casefold())))
    shown = values[:FACET_LIMIT]
    if selected not in ("", None) and not any(matches(item["value"], selected) for item in shown):
        chosen = next((item for item in values if matches(item["value"], selected)), None)
        shown.append(chosen or {"value": selected, "count": 0})
    return {"values": shown, "truncated": len(values) > FACET_LIMIT}


def _age_facet(filters: Filters) -> dict:
    """Fixed buckets, all listed (0 included) in age order, then images whose study has no age."""
    names = [_bucket_name(low, high) for low, high in AGE_BUCKETS]
    bucket = Case(*[When(_age_condition(low, high), then=Value(index)) for index, (low, high) in enumerate(AGE_BUCKETS)],
                  default=Value(len(AGE_BUCKETS)), output_field=IntegerField())
    rows = (filter_searchable_images(filters).annotate(age_bucket=bucket)
            .values("age_bucket").annotate(count=Count("pk", distinct=True)).order_by())
    counts = {row["age_bucket"]: row["count"] for row in rows}
    values = [{"value": name, "age_min": low, "age_max": high, "count": counts.get(index, 0)}
              for index, (name, (low, high)) in enumerate(zip(names, AGE_BUCKETS))]
    values.append({"value": UNKNOWN_AGE, "age_min": None, "age_max": None, "count": counts.get(len(AGE_BUCKETS), 0)})
    return {"values": values, "truncated": False}


def _bucket_name(low: int, high: int | None) -> str:
    return f"{low}+" if high is None else f"{low}-{high}"


def _age_condition(low: int, high: int | None) -> Q:
    condition = Q(series__study__age_years__gte=low)
    return condition if high is None else condition & Q(series__study__age_years__lte=high)


def _teaching_set_facet(filters: Filters, *, user: User, selected: int | None) -> dict:
    """Only sets the user may see: a hidden set is neither listed nor counted."""
    visible = visible_teaching_sets(user).values("pk")
    rows = (filter_searchable_images(filters).filter(teaching_cases__teaching_set__in=visible)
            .values("teaching_cases__teaching_set", "teaching_cases__teaching_set__title")
            .annotate(count=Count("pk", distinct=True)).order_by())
    values = [{"value": row["teaching_cases__teaching_set"], "title": row["teaching_cases__teaching_set__title"],
               "count": row["count"]} for row in rows]
    facet = _capped(values, selected=selected, matches=lambda value, chosen: value == chosen,
                    sort_key=lambda item: (-item["count"], item["title"].casefold(), item["value"]))
    for item in facet["values"]:
        if "title" not in item:  # the selected set has no matching image: name it all the same
            item["title"] = visible_teaching_sets(user).get(pk=item["value"]).title
    return facet
