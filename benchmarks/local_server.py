"""gunicorn serving cbir.wsgi on loopback for the benchmarks that drive the real app over HTTP."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def start_gunicorn(var_dir: Path, port: int, *, workers: int = 2, threads: int = 4,
                   ready_seconds: float = 60) -> subprocess.Popen:
    """Start the app with CBIR_VAR_DIR=var_dir; return once /api/health/ answers (its log in var_dir)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is already taken (a previous run still stopping?)")
    environment = {**os.environ, "CBIR_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "cbir.settings"}
    log = var_dir / "gunicorn.log"
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "cbir.wsgi", "-b", f"127.0.0.1:{port}",
                                "-w", str(workers), "-k", "gthread", "--threads", str(threads), "--timeout", "120",
                                "--backlog", "512", "--log-level", "warning"],
                               cwd=ROOT, env=environment, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + ready_seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/health/", timeout=5).ok:
                return process
        except requests.RequestException:
            time.sleep(0.3)
    stop_gunicorn(process)
    raise SystemExit(f"gunicorn did not start: see {log}")


def stop_gunicorn(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
