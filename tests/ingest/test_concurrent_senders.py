"""Several senders at once against the real receivers (manage.py hl7_listener and dicom_scp, each its own
process) on the embedded SQLite database: every message and instance is accepted, none is told to retry."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import hl7
import pytest
from hl7.client import MLLPClient

from tests.factories import hl7_oru_message
from tests.ingest.dicom_network import free_port, wait_until
from tests.ingest.test_hl7_listener import free_port as free_hl7_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.services


@pytest.fixture
def installation(tmp_path):
    """A scratch installation (its own var/ and SQLite file), migrated, as `make demo` leaves one."""
    environment = os.environ | {"CBIR_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": ""}
    environment.pop("DATABASE_URL")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment, check=True)
    return environment


@pytest.fixture
def start_server(installation):
    started = []

    def start(*arguments: str, port: int) -> None:
        process = subprocess.Popen([sys.executable, "manage.py", *arguments], cwd=ROOT, env=installation,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(process)
        wait_until(lambda: process.poll() is None and port_open(port), timeout=60)

    yield start
    for process in started:
        process.terminate()  # the SCP finishes embedding its last batches first
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def send_messages(port: int, sender: int, count: int) -> list[str]:
    with MLLPClient("127.0.0.1", port) as client:
        return [str(hl7.parse(client.send_message(hl7_oru_message(
            control_id=f"S{sender}-{n}", patient_id=f"P{sender}-{n}", accession=f"A{sender}-{n}")).decode())
            .segment("MSA")[1]) for n in range(count)]


def stored_counts(installation, *models: str) -> list[int]:
    """Row counts in the scratch installation's own database, read by a process of its own."""
    script = ("import django; django.setup(); from ingest import models; "
              f"print(*[getattr(models, name).objects.count() for name in {list(models)!r}])")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                            env=installation | {"DJANGO_SETTINGS_MODULE": "cbir.settings"})
    return [int(count) for count in result.stdout.split()]


def test_parallel_hl7_senders_all_get_aa(start_server, installation):
    port = free_hl7_port()
    start_server("hl7_listener", "--port", str(port), port=port)

    with ThreadPoolExecutor(max_workers=3) as pool:
        codes = [code for codes in pool.map(lambda sender: send_messages(port, sender, 8), range(3)) for code in codes]

    assert codes == ["AA"] * 24
    assert stored_counts(installation, "Report", "Patient") == [24, 24]  # one report per patient, none lost


@pytest.mark.usefixtures("dcmtk")
def test_parallel_dicom_senders_are_all_stored(start_server, datasets_dir, installation):
    port = free_port()
    start_server("dicom_scp", "--host", "127.0.0.1", "--port", str(port), port=port)
    files = [str(datasets_dir / "dicom_samples" / name)  # uncompressed: storescu proposes them as they are
             for name in ("pydicom/CT_small.dcm", "pydicom/MR_small.dcm", "pydicom-data/693_UNCI.dcm")]

    def send(sender: int) -> str:
        return subprocess.run(["storescu", "-v", "-aet", f"SCU{sender}", "-aec", "CBIR", "127.0.0.1", str(port),
                               *files], capture_output=True, text=True, timeout=120).stderr + ""

    with ThreadPoolExecutor(max_workers=6) as pool:
        logs = list(pool.map(send, range(6)))

    responses = [line for log in logs for line in log.splitlines() if "Received Store Response" in line]
    assert len(responses) == 6 * len(files)
    assert all("Success" in line for line in responses), [line for line in responses if "Success" not in line]
    assert stored_counts(installation, "Image") == [len(files)]  # six senders of the same files: stored once
    media = Path(installation["CBIR_VAR_DIR"]) / "media"
    assert len([path for path in media.rglob("*.dcm")]) == len(files)  # and no orphan file of a losing insert
