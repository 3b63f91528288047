"""One DRF exception handler that maps the apps' own errors to HTTP answers."""
from django.core.exceptions import RequestDataTooBig
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class CbirError(Exception):
    """Base of every error the apps raise on purpose; carries an HTTP status."""

    http_status = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(CbirError):
    http_status = status.HTTP_404_NOT_FOUND


class UpstreamUnavailable(CbirError):
    http_status = status.HTTP_502_BAD_GATEWAY


class UpstreamTimeout(CbirError):
    http_status = status.HTTP_504_GATEWAY_TIMEOUT


class ServiceNotReady(CbirError):
    http_status = status.HTTP_503_SERVICE_UNAVAILABLE


def api_exception_handler(exc, context):
    if isinstance(exc, CbirError):
        return Response({"error": exc.message}, status=exc.http_status)
    if isinstance(exc, RequestDataTooBig):  # Django's own answer would be a bare HTML 400
        return Response({"error": request_too_big_message()}, status=413)
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "error" not in response.data:
        response.data = {"error": _flatten_message(response.data), "detail": response.data}
    return response


def request_too_big_message() -> str:
    from django.conf import settings

    return (f"the request body is larger than this server accepts ({settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes, "
            "set by CBIR_MAX_UPLOAD_BYTES); send fewer or smaller files per request")


def _flatten_message(data) -> str:
    """Turn DRF's nested validation errors into one readable sentence."""
    if isinstance(data, dict):
        parts = []
        for key, value in data.items():
            text = _flatten_message(value)
            parts.append(text if key in ("detail", "non_field_errors") else f"{key}: {text}")
        return "; ".join(parts)
    if isinstance(data, list):
        return " ".join(_flatten_message(item) for item in data)
    return str(data)
