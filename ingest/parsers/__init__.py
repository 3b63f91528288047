"""Parsers: bytes in, plain records out. One function per format."""
from __future__ import annotations

from ingest.errors import UnsupportedFormat
from ingest.parsers.dicom import parse_dicom
from ingest.parsers.images import decode_raster, sniff_format
from ingest.records import ImageRecord


def parse_raster(data: bytes, source_format: str) -> ImageRecord:
    return ImageRecord(pixels=decode_raster(data), source_format=source_format)


IMAGE_PARSERS = {"png": lambda data: parse_raster(data, "png"),
                 "jpeg": lambda data: parse_raster(data, "jpeg"),
                 "dicom": parse_dicom}


def parse_image_bytes(data: bytes) -> ImageRecord:
    """Any supported image file -> ImageRecord; UnsupportedFormat / UnreadableImage otherwise."""
    source_format = sniff_format(data)
    if source_format not in IMAGE_PARSERS:
        raise UnsupportedFormat(f"unsupported format {source_format!r}")
    return IMAGE_PARSERS[source_format](data)
