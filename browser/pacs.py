"""DICOMweb client of the configured PACS (PACS_DICOMWEB_URL): WADO-RS retrieval of one instance or a
whole series, as DICOM Part 10 bytes. Errors become NotFound (404), UpstreamUnavailable (502) or
UpstreamTimeout (504, each read waiting longer than PACS_TIMEOUT_SECONDS);
UIDs are never logged or echoed (they can identify a patient)."""
from __future__ import annotations

import io
import logging
from contextlib import contextmanager

import pydicom
import pydicom.errors
from pydicom.multival import MultiValue
import requests
from django.conf import settings

from cbir.errors import NotFound, ServiceNotReady, UpstreamTimeout, UpstreamUnavailable
from ingest.parsers.dicom import spread

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
        return dataset_bytes(pacs_client().retrieve_instance(study_uid, series_uid, sop_uid))


def fetch_series(*, study_uid: str, series_uid: str) -> list[bytes]:
    """The instances of a series over WADO-RS, ordered by InstanceNumber, as Part 10 bytes.

    A series longer than PACS_MAX_SERIES_INSTANCES is sampled evenly (listed over QIDO-RS first, then
    fetched instance by instance): a 2,000-slice CT would otherwise be held in memory several times
    over and embedded slice by slice while the user waits.
    """
    limit = int(getattr(settings, "PACS_MAX_SERIES_INSTANCES", 200))
    with pacs_errors("series"):
        client = pacs_client()
        listed = client.search_for_instances(study_uid, series_uid, fields=["InstanceNumber"])
        if len(listed) > limit:
            chosen = evenly_spaced(sorted(listed, key=instance_number), limit)
            datasets = [client.retrieve_instance(study_uid, series_uid, sop_uid_of(item)) for item in chosen]
        else:
            datasets = client.retrieve_series(study_uid, series_uid)
        if not datasets:
            raise NotFound("the PACS has no instances in this series")
        datasets.sort(key=instance_number)
        return [dataset_bytes(dataset) for dataset in datasets]


def instance_number(instance) -> int:
    """InstanceNumber of a dataset or a QIDO-RS JSON item; 0 when absent or malformed (e.g. multi-valued)."""
    if isinstance(instance, dict):
        value = (instance.get("00200013", {}).get("Value") or [0])[0]
    else:
        value = getattr(instance, "InstanceNumber", 0)
    if isinstance(value, (list, tuple, MultiValue)):  # IS with several values: the first decides
        value = value[0] if len(value) else 0
    try:
        return int(str(value).split("\\")[0] or 0)
    except ValueError:
        return 0


def sop_uid_of(item: dict) -> str:
    return item["00080018"]["Value"][0]


def evenly_spaced(items: list, count: int) -> list:
    """`count` items spread over the whole list, first and last included (as frames are, see spread)."""
    return [items[index] for index in spread(len(items), count)]


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
    except requests.Timeout as exc:  # before ConnectionError: a connect timeout is both
        logger.warning("PACS timed out during a %s retrieval", what)
        raise UpstreamTimeout(f"the PACS did not answer within {settings.PACS_TIMEOUT_SECONDS:g} s "
                              "(PACS_TIMEOUT_SECONDS); try again later") from exc
    except requests.ConnectionError as exc:
        logger.warning("PACS unreachable during a %s retrieval: %s", what, type(exc).__name__)
        raise UpstreamUnavailable("the PACS is unreachable; try again later") from exc
    except (requests.RequestException, KeyError, ValueError, IndexError, TypeError, AttributeError,
            pydicom.errors.InvalidDicomError) as exc:
        # an answer without a content type, a part that is not DICOM, a broken multipart body
        logger.warning("PACS sent an invalid answer to a %s retrieval: %s", what, type(exc).__name__)
        raise UpstreamUnavailable(f"the PACS sent an invalid DICOMweb answer for the {what}") from exc


def dataset_bytes(dataset: pydicom.Dataset) -> bytes:
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()
