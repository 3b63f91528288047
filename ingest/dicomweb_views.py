"""DICOMweb endpoints: STOW-RS (POST /dicomweb/studies and /dicomweb/studies/{StudyInstanceUID})."""
from django.conf import settings
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from browser.permissions import HasCapability
from browser.roles import CURATE

from ingest.dicomweb import parse_stow_request, stow_http_status, stow_response
from ingest.services import get_or_create_dataset, store_stow_parts


class DicomJsonRenderer(JSONRenderer):
    media_type = "application/dicom+json"


class StowRsApi(APIView):
    """Store DICOM instances sent as multipart/related; answers with the response dataset."""

    parser_classes: list = []  # the multipart/related body is read raw
    permission_classes = [HasCapability]
    required_capability = CURATE  # storing is ingestion
    renderer_classes = [DicomJsonRenderer, JSONRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        """Errors ({"error": …}) are plain JSON; only the response dataset is application/dicom+json."""
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400 and response.status_code != 409:
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
            response["Content-Type"] = JSONRenderer.media_type
        return response

    def post(self, request, study_uid: str = ""):
        parts = parse_stow_request(request.META.get("CONTENT_TYPE", ""), request.body)
        dataset = get_or_create_dataset(getattr(settings, "STOW_DATASET_NAME", "stow-rs"))
        results = store_stow_parts(parts=parts, dataset=dataset, study_uid=study_uid)
        return Response(stow_response(results), status=stow_http_status(results),
                        content_type=DicomJsonRenderer.media_type)
