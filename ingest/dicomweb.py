"""DICOMweb STOW-RS on the wire: multipart/related bodies in, PS3.18 response datasets out (no ORM)."""
from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from typing import Sequence

from pydicom.dataset import Dataset

from ingest.dicom_policy import SUCCESS
from ingest.errors import MalformedRequest, UnsupportedMediaType

DICOM_MEDIA_TYPE = "application/dicom"


@dataclass
class BodyPart:
    content_type: str
    content: bytes


@dataclass
class InstanceResult:
    """One instance's outcome as the response reports it."""

    status: int
    sop_class_uid: str = ""
    sop_instance_uid: str = ""


def parse_stow_request(content_type: str, body: bytes) -> list[BodyPart]:
    """The parts of a `multipart/related; type="application/dicom"` body."""
    header = Message()
    header["content-type"] = content_type or ""
    if header.get_content_type() != "multipart/related":
        raise UnsupportedMediaType(f"STOW-RS takes multipart/related, not {header.get_content_type()}")
    declared = (header.get_param("type") or DICOM_MEDIA_TYPE).lower()
    if declared != DICOM_MEDIA_TYPE:
        raise UnsupportedMediaType(f"only type=\"{DICOM_MEDIA_TYPE}\" parts are accepted, not {declared}")
    boundary = header.get_param("boundary")
    if not boundary:
        raise MalformedRequest("multipart/related without a boundary parameter")
    parts = split_multipart(body, str(boundary).encode("latin-1"))
    if not parts:
        raise MalformedRequest("multipart body without any part")
    return parts


def split_multipart(body: bytes, boundary: bytes) -> list[BodyPart]:
    """RFC 2046 body parts between `--boundary` lines; the preamble and epilogue are dropped."""
    segments = (b"\r\n" + body).split(b"\r\n--" + boundary)
    if not any(segment.startswith(b"--") for segment in segments[1:]):
        raise MalformedRequest("multipart body without its closing delimiter: it was cut off, nothing is stored")
    parts = []
    for segment in segments[1:]:
        if segment.startswith(b"--"):
            break  # close delimiter
        _, _, segment = segment.partition(b"\r\n")  # rest of the delimiter line (transport padding)
        if segment.startswith(b"\r\n"):  # no header fields: the content starts at once (RFC 2046 5.1.1)
            head, content = b"", segment[2:]  # searching it for CRLFCRLF would cut DICOM data
        else:
            head, separator, content = segment.partition(b"\r\n\r\n")
            if not separator:
                head, content = b"", segment
        parts.append(BodyPart(_part_content_type(head), content))
    return parts


def _part_content_type(head: bytes) -> str:
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-type":
            return value.split(";")[0].strip().lower()
    return DICOM_MEDIA_TYPE  # a part without headers has the type the request declared


def stow_response(results: Sequence[InstanceResult]) -> dict:
    """The Store Instances Response Module (PS3.18 10.5.3) as DICOM JSON."""
    response = Dataset()
    stored = [_reference(result) for result in results if result.status == SUCCESS]
    failed = [_reference(result, failure=True) for result in results if result.status != SUCCESS]
    if stored:
        response.ReferencedSOPSequence = stored
    if failed:
        response.FailedSOPSequence = failed
    return response.to_json_dict()


def _reference(result: InstanceResult, *, failure: bool = False) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = result.sop_class_uid or None
    item.ReferencedSOPInstanceUID = result.sop_instance_uid or None
    if failure:
        item.FailureReason = result.status
    return item


def stow_http_status(results: Sequence[InstanceResult]) -> int:
    """200 all stored, 202 some stored, 409 none stored (PS3.18 10.5.3.1)."""
    stored = sum(result.status == SUCCESS for result in results)
    if stored == len(results):
        return 200
    return 202 if stored else 409
