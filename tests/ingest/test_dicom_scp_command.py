"""manage.py dicom_scp as a process: echoscu and storescu talk to it, the image lands in its database."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.ingest.dicom_network import echoscu, free_port, storescu, wait_until

pytestmark = [pytest.mark.services,
              pytest.mark.usefixtures("dcmtk")]

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def test_dicom_scp_command_receives_and_stores_anonymized(tmp_path):
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "cbir.settings", "CBIR_VAR_DIR": str(tmp_path / "var"),
                        "CBIR_DATASETS": str(settings.DATASETS_DIR)}
    subprocess.run([sys.executable, str(MANAGE), "migrate", "-v", "0"], env=env, check=True, timeout=120)
    port = free_port()
    server = subprocess.Popen([sys.executable, str(MANAGE), "dicom_scp", "--port", str(port), "--ae-title", "CBIR",
                               "--host", "127.0.0.1", "--dataset", "command-test"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: echoscu(port).returncode == 0, timeout=60)
        result = storescu(port, Path(settings.DATASETS_DIR) / "dicom_samples" / "pydicom" / "CT_small.dcm")
    finally:
        server.send_signal(signal.SIGINT)
        output, errors = server.communicate(timeout=120)

    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "var" / "cbir.sqlite3") as database:
        rows = database.execute("SELECT i.status, i.dicom_path, d.name FROM ingest_image i JOIN ingest_series s "
                                "ON i.series_id = s.id JOIN ingest_study t ON s.study_id = t.id "
                                "JOIN ingest_dataset d ON t.dataset_id = d.id").fetchall()
    assert len(rows) == 1 and rows[0][0] == "ready" and rows[0][2] == "command-test"
    assert (tmp_path / "var" / "media" / rows[0][1]).is_file()
    assert "DICOM SCP CBIR on 127.0.0.1" in output and "CompressedSamples" not in output + errors
