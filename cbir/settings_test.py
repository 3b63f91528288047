"""Test settings: only overrides of cbir.settings."""
import os
import tempfile
from pathlib import Path

os.environ.setdefault("CBIR_VAR_DIR", tempfile.mkdtemp(prefix="cbir-test-var-"))

from cbir.settings import *  # noqa: E402,F401,F403
from cbir import settings as _base  # noqa: E402

CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(_base.VAR_DIR) / "media"
