"""DICOM UIDs in request paths and PACS URLs never reach the logs."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDY = "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322"


def test_a_uid_in_a_logged_request_path_is_masked_by_the_configured_handler(tmp_path):
    script = ("import django, logging; django.setup(); "
              f"logging.getLogger('django.request').warning('Not Found: %s', '/dicomweb/studies/{STUDY}'); "
              f"logging.getLogger('urllib3.connectionpool').warning('GET /dicom-web/studies/{STUDY} 404')")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"DJANGO_SETTINGS_MODULE": "cbir.settings", "CBIR_VAR_DIR": str(tmp_path),
                                 "PATH": "/usr/bin:/bin"})

    assert result.returncode == 0, result.stderr
    assert STUDY not in result.stderr and result.stderr.count("/studies/<uid>") == 2


def test_masking_leaves_versions_addresses_and_numbers_alone():
    from cbir.log_filters import mask_uids

    assert mask_uids(f"POST /dicomweb/studies/{STUDY} HTTP/1.1") == "POST /dicomweb/studies/<uid> HTTP/1.1"
    assert mask_uids("fhirVersion 4.0.1 from 127.0.0.1 took 12.5 ms") == "fhirVersion 4.0.1 from 127.0.0.1 took 12.5 ms"


def test_the_gunicorn_access_log_masks_uids_in_the_request_line():
    from types import SimpleNamespace

    from gunicorn.config import Config

    from cbir.gunicorn_conf import UidMaskingLogger

    request = SimpleNamespace(method="POST", path=f"/dicomweb/studies/{STUDY}", query="", version=(1, 1),
                              headers=[], uri=f"/dicomweb/studies/{STUDY}")
    response = SimpleNamespace(status="200 OK", sent=10, headers=[], response_length=10)
    environ = {"REQUEST_METHOD": "POST", "RAW_URI": request.uri, "PATH_INFO": request.path, "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_REFERER": ""}
    from datetime import timedelta

    atoms = UidMaskingLogger(Config()).atoms(response, request, environ, timedelta(seconds=0.01))

    assert STUDY not in atoms["r"] and STUDY not in atoms["U"] and "<uid>" in atoms["r"]
