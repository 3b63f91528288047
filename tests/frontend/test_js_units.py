"""Runs the frontend's own unit tests (node --test frontend/tests/): layout, graph data, permalinks."""
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

FRONTEND = Path(settings.BASE_DIR) / "frontend"


def test_frontend_unit_tests_pass():
    if shutil.which("node") is None:
        pytest.fail("node is not installed (Node 20 is needed to build the frontend)", pytrace=False)
    if not (FRONTEND / "node_modules" / "graphology").is_dir():
        pytest.fail("frontend/node_modules is missing: run `cd frontend && npm ci` (make test does it)", pytrace=False)

    result = subprocess.run(["node", "--test", "tests/"], cwd=FRONTEND, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
