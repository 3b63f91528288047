"""HTTP API of the browser: search, image details and files, encoders, health."""
from __future__ import annotations

from django.http import FileResponse, HttpResponse
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from browser import selectors
from browser.filters import Filters, InvalidFilter
from browser.roles import CURATE, has_capability
from browser.services import search_by_image_id, search_by_keywords, search_by_upload
from browser.services.facets import count_facets
from browser.services.pacs_search import search_by_pacs_instance, search_by_pacs_series
from browser.services.dicom_pixels import compact_values, frame_headers, list_series_images, read_image_frame
from browser.serializers import image_detail_payload, image_summary_payload
from cbir.errors import CbirError
from embeddings.selectors import get_default_encoder_name
from ingest.selectors import get_image
from ingest.storage import media_path
from ingest.uploads import read_upload

UID_PATTERN = r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$"  # PS3.5 9.1: no leading zeros, two parts or more


class FilterFields(serializers.Serializer):
    label = serializers.CharField(required=False, default="", allow_blank=True, max_length=128)
    modality = serializers.CharField(required=False, default="", allow_blank=True, max_length=16)
    body_part = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)
    dataset = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    sex = serializers.ChoiceField(required=False, default="", allow_blank=True, choices=["M", "F", "O"])
    age_min = serializers.IntegerField(required=False, default=None, allow_null=True, min_value=0, max_value=150)
    age_max = serializers.IntegerField(required=False, default=None, allow_null=True, min_value=0, max_value=150)
    code = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    teaching_set = serializers.IntegerField(required=False, default=None, allow_null=True, min_value=1)

    def validate_code(self, value: str) -> str:
        try:
            Filters(code=value).code_filter()
        except InvalidFilter as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value

    def validate_teaching_set(self, value: int | None) -> int | None:
        """Filtering by a teaching set would reveal its cases: only sets the user may see."""
        from browser.teaching import is_visible_set

        request = self.context.get("request")
        if value is not None and (request is None or not is_visible_set(request.user, value)):
            raise serializers.ValidationError(f"no teaching set {value} visible to you")
        return value

    def validate(self, data):
        if data.get("age_min") is not None and data.get("age_max") is not None and data["age_min"] > data["age_max"]:
            raise serializers.ValidationError("age_min is above age_max")
        return data

    def filters(self) -> Filters:
        return Filters(**{name: self.validated_data[name] for name in FILTER_NAMES})


FILTER_NAMES = ("label", "modality", "body_part", "dataset", "sex", "age_min", "age_max", "code", "teaching_set")
QUERY_INPUTS = "'image' (a file), 'image_id', 'study_uid' + 'series_uid' [+ 'sop_uid'] or 'q'"


class SearchApi(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class InputSerializer(FilterFields):
        image = serializers.FileField(required=False, allow_empty_file=False)
        image_id = serializers.IntegerField(required=False, min_value=1)
        study_uid = serializers.RegexField(UID_PATTERN, required=False, max_length=64)
        series_uid = serializers.RegexField(UID_PATTERN, required=False, max_length=64)
        sop_uid = serializers.RegexField(UID_PATTERN, required=False, max_length=64)
        q = serializers.CharField(required=False, default="", allow_blank=True, max_length=500)
        ranking = serializers.ChoiceField(required=False, default="filter", choices=["filter", "fused"])
        recall = serializers.FloatField(required=False, default=None, allow_null=True, min_value=0.0, max_value=1.0)
        k = serializers.IntegerField(required=False, default=20, min_value=1, max_value=200)
        encoder = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)

        def validate(self, data):
            return validate_query_inputs(super().validate(data))

    def post(self, request):
        query = self.InputSerializer(data=request.data, context={"request": request})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        common = {"k": data["k"], "encoder": data["encoder"] or get_default_encoder_name(),
                  "filters": query.filters()}
        content = {**common, "q": data["q"], "ranking": data["ranking"], "recall": data["recall"]}
        if "image_id" in data:
            return Response(search_by_image_id(image_id=data["image_id"], **content))
        if "image" in data:
            return Response(search_by_upload(data=read_upload(data["image"]), **content))
        if "sop_uid" in data:
            return Response(search_by_pacs_instance(study_uid=data["study_uid"], series_uid=data["series_uid"],
                                                    sop_uid=data["sop_uid"], **content))
        if "series_uid" in data:
            return Response(search_by_pacs_series(study_uid=data["study_uid"], series_uid=data["series_uid"],
                                                  **content))
        return Response(search_by_keywords(q=data["q"], **common))


def validate_query_inputs(data: dict) -> dict:
    """Exactly one query source; UIDs come as study + series (+ sop); contradictions are refused (400)."""
    sources = [name for name in ("image", "image_id") if name in data]
    uids = [name for name in ("study_uid", "series_uid", "sop_uid") if name in data]
    if uids:
        sources.append("PACS UIDs")
        if "study_uid" not in data or "series_uid" not in data:
            raise serializers.ValidationError("a PACS query needs 'study_uid' and 'series_uid' (and 'sop_uid' "
                                              "for one instance; without it the whole series is the query)")
    if len(sources) > 1:
        raise serializers.ValidationError(f"give only one query source, not {' and '.join(sources)}")
    if not sources and not data.get("q", "").strip():
        raise serializers.ValidationError(f"give exactly one of {QUERY_INPUTS}")
    if not sources and data.get("ranking") == "fused":
        raise serializers.ValidationError("ranking 'fused' needs an image query besides 'q'")
    return data


class ImageListApi(APIView):
    class InputSerializer(FilterFields):
        limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=500)
        offset = serializers.IntegerField(required=False, default=0, min_value=0, max_value=2**31 - 1)

    def get(self, request):
        query = self.InputSerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        total, images = selectors.list_images(filters=query.filters(), limit=query.validated_data["limit"],
                                              offset=query.validated_data["offset"])
        return Response({"count": total, "results": [image_summary_payload(image) for image in images]})


class FacetsApi(APIView):
    """GET with the search filters: {total, facets: {label, modality, body_part, sex, age, dataset, teaching_set}},
    each facet counted over the searchable images matching every other active filter."""

    InputSerializer = FilterFields

    def get(self, request):
        query = self.InputSerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        return Response(count_facets(filters=query.filters(), user=request.user))


def may_see_quarantined(request) -> bool:
    """Only curators see quarantined images (to review them); to everyone else they do not exist."""
    return has_capability(request.user, CURATE)


class ImageDetailApi(APIView):
    def get(self, request, image_id: int):
        return Response(image_detail_payload(get_image(image_id, include_quarantined=may_see_quarantined(request))))


class ImageThumbnailApi(APIView):
    def get(self, request, image_id: int):
        return png_file_response(get_image(image_id, include_quarantined=may_see_quarantined(request)).thumbnail_path)


class ImagePixelsApi(APIView):
    def get(self, request, image_id: int):
        return png_file_response(get_image(image_id, include_quarantined=may_see_quarantined(request)).pixels_path)


class ImageRawApi(APIView):
    """One frame's modality values (HU for CT) as a little-endian array, for window/level in the viewer.

    GET ?frame=N (0-based, default 0). Body: width*height values, row-major, of type X-Value-Type
    (int16, uint16 or float32: the smallest that holds them exactly). Headers: X-Width, X-Height,
    X-Frame, X-Frame-Count, X-Min, X-Max, X-Window-Center, X-Window-Width (the DICOM's first window,
    or the value range when X-Window-Source is "range"), X-Voi-Lut-Function, X-Photometric
    (MONOCHROME1: the client inverts), X-Units (e.g. HU), X-Modality. No other DICOM attribute is sent.
    404 without a stored DICOM, 400 for a bad frame number or a colour DICOM (show the PNG instead).
    """

    class InputSerializer(serializers.Serializer):
        frame = serializers.IntegerField(required=False, default=0, min_value=0)

    def get(self, request, image_id: int):
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        frame = read_image_frame(image_id=image_id, frame=query.validated_data["frame"],
                                 include_quarantined=may_see_quarantined(request))
        body = compact_values(frame.values)
        response = HttpResponse(body.tobytes(), content_type="application/octet-stream",
                                headers=frame_headers(frame, body))
        response["Cache-Control"] = "private, max-age=86400"  # the stored DICOM never changes
        return response


class ImageSeriesApi(APIView):
    """{image_id, series_id, images: [{id, instance_number, frame_count, has_dicom}]}: the series' READY
    images by instance number then id, so the viewer can scroll slices and frames."""

    def get(self, request, image_id: int):
        return Response(list_series_images(image_id=image_id, include_quarantined=may_see_quarantined(request)))


def png_file_response(relative: str) -> FileResponse:
    path = media_path(relative)
    if not path.is_file():
        raise CbirError("image file is missing from storage")
    response = FileResponse(open(path, "rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"  # content-addressed: never changes
    return response


class ImageNeighboursApi(APIView):
    class InputSerializer(FilterFields):
        k = serializers.IntegerField(required=False, default=10, min_value=1, max_value=200)
        encoder = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)

    def get(self, request, image_id: int):
        query = self.InputSerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        return Response(search_by_image_id(image_id=image_id, k=query.validated_data["k"],
                                           encoder=query.validated_data["encoder"] or get_default_encoder_name(),
                                           filters=query.filters()))


class EncoderListApi(APIView):
    def get(self, request):
        return Response(selectors.list_encoder_status())


class HealthApi(APIView):
    permission_classes = [AllowAny]  # load balancers and monitors have no account

    def get(self, request):
        return Response(selectors.health_summary())
