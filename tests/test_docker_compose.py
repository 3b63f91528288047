"""The deployment files stay valid (Compose v1 validates offline; nothing can be built here)."""
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_compose_file_is_valid_and_runs_one_process_per_service():
    assert shutil.which("docker-compose"), "docker-compose (Debian package) is needed; make test installs it"

    result = subprocess.run(["docker-compose", "-f", str(REPO / "docker" / "compose.yaml"), "config"],
                            capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    for service in ("migrate:", "web:", "worker:", "search-worker:", "gpu-worker:", "redis:", "db:", "dicom-scp:",
                    "hl7-listener:"):
        assert f"  {service}" in result.stdout
