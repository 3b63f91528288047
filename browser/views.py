"""HTTP API of the browser: search, image details and files, encoders, health."""
from __future__ import annotations

from django.conf import settings
from django.http import FileResponse
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from browser import selectors
from browser.services import search_by_image_id, search_by_upload
from browser.services.search import Filters
from browser.serializers import image_detail_payload, image_summary_payload
from cbir.errors import CbirError
from ingest.errors import UploadTooLarge
from ingest.selectors import get_image
from ingest.storage import media_path


class FilterFields(serializers.Serializer):
    label = serializers.CharField(required=False, default="", allow_blank=True, max_length=128)
    modality = serializers.CharField(required=False, default="", allow_blank=True, max_length=16)
    body_part = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)
    dataset = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)

    def filters(self) -> Filters:
        return Filters(**{name: self.validated_data[name] for name in ("label", "modality", "body_part", "dataset")})


class SearchApi(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class InputSerializer(FilterFields):
        image = serializers.FileField(required=False, allow_empty_file=False)
        image_id = serializers.IntegerField(required=False, min_value=1)
        k = serializers.IntegerField(required=False, default=20, min_value=1, max_value=200)
        encoder = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)

        def validate(self, data):
            if ("image" in data) == ("image_id" in data):
                raise serializers.ValidationError("give exactly one of 'image' (a file) or 'image_id'")
            return data

    def post(self, request):
        query = self.InputSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        arguments = {"k": data["k"], "encoder": data["encoder"] or settings.DEFAULT_ENCODER, "filters": query.filters()}
        if "image_id" in data:
            return Response(search_by_image_id(image_id=data["image_id"], **arguments))
        return Response(search_by_upload(data=read_upload(data["image"]), **arguments))


def read_upload(upload) -> bytes:
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise UploadTooLarge(f"file of {upload.size} bytes is over the limit of {settings.MAX_UPLOAD_BYTES} bytes")
    return upload.read()


class ImageListApi(APIView):
    class InputSerializer(FilterFields):
        limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=500)
        offset = serializers.IntegerField(required=False, default=0, min_value=0)

    def get(self, request):
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        total, images = selectors.list_images(filters=query.filters(), limit=query.validated_data["limit"],
                                              offset=query.validated_data["offset"])
        return Response({"count": total, "results": [image_summary_payload(image) for image in images]})


class ImageDetailApi(APIView):
    def get(self, request, image_id: int):
        return Response(image_detail_payload(get_image(image_id)))


class ImageThumbnailApi(APIView):
    def get(self, request, image_id: int):
        return png_file_response(get_image(image_id).thumbnail_path)


class ImagePixelsApi(APIView):
    def get(self, request, image_id: int):
        return png_file_response(get_image(image_id).pixels_path)


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
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(search_by_image_id(image_id=image_id, k=query.validated_data["k"],
                                           encoder=query.validated_data["encoder"] or settings.DEFAULT_ENCODER,
                                           filters=query.filters()))


class EncoderListApi(APIView):
    def get(self, request):
        return Response(selectors.list_encoder_status())


class HealthApi(APIView):
    def get(self, request):
        return Response(selectors.health_summary())
