"""Real servers for the browser's service tests, started on loopback and stopped reliably:
Orthanc (PACS with DICOMweb), Redis and Celery workers. Ports are this test suite's own."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ORTHANC_HTTP_PORT = 18142
ORTHANC_DICOM_PORT = 14342
ORTHANC_AUTH = ("pacs", "pacs-test-pw")
REDIS_PORT = 16479
DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"


def wait_until(check, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start within {seconds} s")


def stop_process(process: subprocess.Popen, *, seconds: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def orthanc_config(directory: Path) -> dict:
    return {
        "Name": "CBIR-BROWSER-TEST", "StorageDirectory": "db", "IndexDirectory": "db",
        "Plugins": [DICOMWEB_PLUGIN], "HttpPort": ORTHANC_HTTP_PORT, "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True, "RegisteredUsers": {ORTHANC_AUTH[0]: ORTHANC_AUTH[1]},
        "OrthancExplorerEnabled": False, "WebDavEnabled": False, "DicomAet": "ORTHANC",
        "DicomPort": ORTHANC_DICOM_PORT, "DicomCheckCalledAet": False, "DicomAlwaysAllowEcho": True,
        "DicomAlwaysAllowStore": False, "DicomCheckModalityHost": True, "DicomModalities": {},
        "StableAge": 2, "SaveJobs": False, "MetricsEnabled": False,
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": True, "WadoRoot": "/wado",
                     "Host": f"127.0.0.1:{ORTHANC_HTTP_PORT}", "Ssl": False},
    }


@contextmanager
def running_orthanc(directory: Path):
    """Orthanc with the DICOMweb plugin; yields its base URL (HTTP Basic auth ORTHANC_AUTH)."""
    if not shutil.which("Orthanc"):
        raise RuntimeError("Orthanc is not installed (apt-get install orthanc orthanc-dicomweb)")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "orthanc.json").write_text(json.dumps(orthanc_config(directory), indent=2))
    with open(directory / "stdout.log", "wb") as log:
        process = subprocess.Popen(["Orthanc", f"--logdir={directory}", str(directory / "orthanc.json")],
                                   stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{ORTHANC_HTTP_PORT}"
    try:
        wait_until(lambda: requests.get(f"{base}/system", auth=ORTHANC_AUTH, timeout=1).ok or process.poll() is not None,
                   seconds=20, what="Orthanc")
        if process.poll() is not None:
            raise RuntimeError(f"Orthanc exited: {(directory / 'stdout.log').read_text()[-2000:]}")
        yield base
    finally:
        stop_process(process)


def upload_to_orthanc(base: str, path: Path) -> dict:
    response = requests.post(f"{base}/instances", data=path.read_bytes(), auth=ORTHANC_AUTH,
                             headers={"Content-Type": "application/dicom"}, timeout=30)
    response.raise_for_status()
    return response.json()


@contextmanager
def running_redis(directory: Path):
    directory.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(REDIS_PORT), "--save", "",
                                "--appendonly", "no", "--dir", str(directory),
                                "--logfile", str(directory / "redis.log")])
    try:
        wait_until(lambda: subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT), "ping"],
                                          capture_output=True, timeout=2).stdout.strip() == b"PONG",
                   seconds=10, what="Redis")
        yield f"redis://127.0.0.1:{REDIS_PORT}"
    finally:
        stop_process(process)


@contextmanager
def running_celery_worker(*, name: str, queues: str, environment: dict, directory: Path):
    """One solo-pool Celery worker of the project (cbir app) with the given environment overrides."""
    log = open(directory / f"{name}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cbir", "worker", "-P", "solo", "-c", "1", "-Q", queues,
         "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"],
        cwd=Path(__file__).resolve().parents[2], env={**os.environ, **environment}, stdout=log,
        stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: b"ready." in (directory / f"{name}.log").read_bytes() or process.poll() is not None,
                   seconds=60, what=f"Celery worker {name}")
        if process.poll() is not None:
            raise RuntimeError((directory / f"{name}.log").read_text()[-3000:])
        yield process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)  # a paused worker cannot handle SIGTERM
        stop_process(process, seconds=15)
        log.close()


POSTGRES_PORT = 15479
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def running_postgres():
    """A throwaway PostgreSQL 15 cluster (trust auth, loopback); yields a psycopg conninfo string.
    Its folder is directly under /tmp: the postgres user cannot enter pytest's private tmp_path."""
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="cbir-browser-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
    data = directory / "data"
    subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                                 "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]), check=True, capture_output=True)
    options = (f"-c listen_addresses=127.0.0.1 -p {POSTGRES_PORT} -k {directory} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off")
    subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(directory / "server.log"),
                                 "-w", "-t", "30", "-o", options, "start"]), check=True, capture_output=True)
    try:
        yield f"host=127.0.0.1 port={POSTGRES_PORT} user=postgres dbname=postgres"
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)
