"""DICOMweb client of the configured PACS (PACS_DICOMWEB_URL): WADO-RS retrieval of one instance or a
whole series, as DICOM Part 10 bytes. Errors become NotFound (404) or UpstreamUnavailable (502);
UIDs are never logged or echoed (they can identify a patient)."""
from __future__ import annotations

import io
import logging
from contextlib import contextmanager

import pydicom
import pydicom.errors
import requests
from django.conf import settings

from cbir.errors import NotFound, ServiceNotReady, UpstreamUnavailable

logger = logging.getLogger(__name__)


def pacs_client():
    from dicomweb_client.api import DICOMwebClient

    url = getattr(settings, "PACS_DICOMWEB_URL", "")
    if not url:
        raise ServiceNotReady("no PACS is configured: set PACS_DICOMWEB_URL (and PACS_USERNAME / PACS_PASSWORD)")
    session = requests.Session()
    if getattr(settings, "PACS_USERNAME", ""):
        session.auth = (settings.PACS_USERNAME, getattr(settings, "PACS_PASSWORD", ""))
    client = DICOMwebClient(url=url.rstrip("/"), session=session,
                            timeout=float(getattr(settings, "PACS_TIMEOUT_SECONDS", 10.0)))
    client.set_http_retry_params(retry=False)  # a user is waiting: answer 502 now, not after ~30 s of back-off
    return client


def fetch_instance(*, study_uid: str, series_uid: str, sop_uid: str) -> bytes:
    """One instance over WADO-RS, as Part 10 bytes."""
    with pacs_errors("instance"):
        dataset = pacs_client().retrieve_instance(study_uid, series_uid, sop_uid)
    return dataset_bytes(dataset)


def fetch_series(*, study_uid: str, series_uid: str) -> list[bytes]:
    """Every instance of a series over WADO-RS, ordered by InstanceNumber, as Part 10 bytes."""
    with pacs_errors("series"):
        datasets = pacs_client().retrieve_series(study_uid, series_uid)
    if not datasets:
        raise NotFound("the PACS has no instances in this series")
    datasets.sort(key=lambda dataset: int(getattr(dataset, "InstanceNumber", 0) or 0))
    return [dataset_bytes(dataset) for dataset in datasets]


@contextmanager
def pacs_errors(what: str):
    try:
        yield
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        logger.warning("PACS answered HTTP %s to a %s retrieval", status, what)
        if status in (400, 404):
            raise NotFound(f"the PACS has no {what} with these UIDs") from exc
        if status in (401, 403):
            raise UpstreamUnavailable(f"the PACS refused our credentials (HTTP {status})") from exc
        raise UpstreamUnavailable(f"the PACS failed to return the {what} (HTTP {status})") from exc
    except (requests.ConnectionError, requests.Timeout) as exc:
        logger.warning("PACS unreachable during a %s retrieval: %s", what, type(exc).__name__)
        raise UpstreamUnavailable("the PACS is unreachable; try again later") from exc
    except (requests.RequestException, KeyError, ValueError, IndexError, pydicom.errors.InvalidDicomError) as exc:
        # an answer without a content type, a part that is not DICOM, a broken multipart body
        logger.warning("PACS sent an invalid answer to a %s retrieval: %s", what, type(exc).__name__)
        raise UpstreamUnavailable(f"the PACS sent an invalid DICOMweb answer for the {what}") from exc


def dataset_bytes(dataset: pydicom.Dataset) -> bytes:
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()
