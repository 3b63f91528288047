"""`manage.py hl7_listener` as its own process, fed by the mllp_send CLI."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from tests.ingest.test_hl7_listener import free_port

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"hl7_listener did not open port {port}")


def test_hl7_listener_command_acks_messages_sent_with_mllp_send(tmp_path, datasets_dir):
    env = os.environ | {"CBIR_VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "cbir.settings_test"}
    subprocess.run([sys.executable, str(MANAGE), "migrate", "-v0"], env=env, check=True, timeout=120)
    port = free_port()
    listener = subprocess.Popen([sys.executable, str(MANAGE), "hl7_listener", "--port", str(port)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, listener)
        sample = datasets_dir / "interop_samples" / "hl7v2" / "MN_005_MN_ADT_A01.hl7"
        sent = subprocess.run([str(Path(sys.executable).parent / "mllp_send"), "--loose", "-p", str(port), "-f",
                               str(sample), "127.0.0.1"], capture_output=True, text=True, timeout=30)
    finally:
        listener.terminate()  # SIGTERM, as docker stop sends
        returncode = listener.wait(timeout=10)

    assert sent.returncode == 0
    assert "MSA|AA|407750281" in sent.stdout
    assert returncode == 0 and "stopped" in listener.stdout.read()  # a clean stop, not killed by the signal
