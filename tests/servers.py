"""Start and stop real servers on loopback for tests (PostgreSQL, Redis, Celery workers)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def wait_until(check, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not come up within {seconds} s")


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres_server(port: int):
    """A throwaway cluster with database 'cbir'; yields its DATABASE_URL."""
    # pytest's tmp folders are private to root; the postgres user must reach the cluster folder
    root = Path(tempfile.mkdtemp(prefix="cbir-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data = root / "data"
    subprocess.run(as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                                "--locale=C.UTF-8", "--no-sync"]), check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off"
    subprocess.run(as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w",
                                "-t", "30", "-o", options, "start"]), check=True, capture_output=True)
    try:
        subprocess.run(as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                    "cbir"]), check=True, capture_output=True)
        yield f"postgres://postgres@127.0.0.1:{port}/cbir"
    finally:
        subprocess.run(as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def redis_server(root: Path, port: int):
    """yields the broker URL prefix redis://127.0.0.1:port"""
    root.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                "--appendonly", "no", "--dir", str(root), "--logfile", str(root / "redis.log")])
    try:
        wait_until(lambda: port_open(port), seconds=10, what="redis")
        yield f"redis://127.0.0.1:{port}"
    finally:
        stop_process(process)


@contextmanager
def celery_worker(environment: dict, *, queues: str, log: Path, name: str = "worker"):
    command = [sys.executable, "-m", "celery", "-A", "cbir", "worker", "-Q", queues, "-P", "solo", "-c", "1",
               "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h", "-l", "INFO"]
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: b"ready." in log.read_bytes(), seconds=60, what=f"celery {name}")
        yield process
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen, timeout: float = 15) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def manage(environment: dict, *arguments: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *arguments], cwd=REPO, env=environment, capture_output=True,
                          text=True, timeout=timeout)
