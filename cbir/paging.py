"""Paged list answers of the API: ?limit=&offset= in, the page as the body, the total in X-Total-Count
(the body stays the plain list the UI reads)."""
from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response


class PageParams(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=500, default=200)
    offset = serializers.IntegerField(min_value=0, max_value=10**9, default=0)


def page_params(request) -> dict:
    params = PageParams(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


def paged_response(rows: list, total: int) -> Response:
    response = Response(rows)
    response["X-Total-Count"] = str(total)
    return response


def page_of(queryset, *, limit: int, offset: int) -> tuple[int, list]:
    """(count of the whole queryset, the rows of one page)."""
    return queryset.count(), list(queryset[offset:offset + limit])
