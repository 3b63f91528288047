"""Helpers for tests that talk DICOM over loopback: free ports, dcmtk clients, a running SCP."""
from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

PORT_RANGE = range(11200, 11300)  # this suite's share of loopback ports


def free_port() -> int:
    for port in PORT_RANGE:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 11200-11299")


def storescu(port: int, *files: Path, flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run(["storescu", *flags, "-aet", "TESTSCU", "-aec", "CBIR", "127.0.0.1", str(port),
                           *map(str, files)], capture_output=True, text=True, timeout=60)


def echoscu(port: int) -> subprocess.CompletedProcess:
    return subprocess.run(["echoscu", "-aet", "TESTSCU", "-aec", "CBIR", "127.0.0.1", str(port)],
                          capture_output=True, text=True, timeout=30)


def wait_until(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
