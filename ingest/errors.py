"""Errors of the ingestion app."""
from cbir.errors import CbirError


class IngestError(CbirError):
    pass


class UnsupportedFormat(IngestError):
    pass


class UnreadableImage(IngestError):
    pass


class UploadTooLarge(IngestError):
    pass
