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


class NotAnImage(UnreadableImage):
    """A well-formed object without pixel data (structured report, RT plan, waveform, ...)."""


class ImageTooLarge(UnreadableImage):
    """More pixels than this server decodes (MAX_PIXELS): a resource limit, not a broken object."""


class UnsupportedTransferSyntax(UnreadableImage):
    """Pixel data in a transfer syntax no installed decoder reads."""


class MalformedRequest(IngestError):
    """A request body that does not follow its declared format (e.g. multipart without parts)."""


class UnsupportedMediaType(IngestError):
    http_status = 415
