"""Test settings: only overrides of cbir.settings."""
import atexit
import os
import shutil
import tempfile
from pathlib import Path

if "CBIR_VAR_DIR" not in os.environ:
    os.environ["CBIR_VAR_DIR"] = tempfile.mkdtemp(prefix="cbir-test-var-")
    atexit.register(shutil.rmtree, os.environ["CBIR_VAR_DIR"], ignore_errors=True)

from cbir.settings import *  # noqa: E402,F401,F403
from cbir import settings as _base  # noqa: E402

CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(_base.VAR_DIR) / "media"
