"""Shared test setup: API client, dataset paths, a synthetic DICOM file, media isolation."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def fresh_cache():
    """Failed sign-ins are counted in the cache; one test's must not lock out the next one's user."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def isolated_media(tmp_path, settings):
    """Each test writes images and indexes to its own folders."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.INDEX_DIR = tmp_path / "indexes"
    settings.CHECKPOINT_DIR = tmp_path / "models"
    from browser.services import forget_loaded_indexes

    forget_loaded_indexes()
    yield
    forget_loaded_indexes()


@pytest.fixture
def admin_user(db):
    from tests.factories import make_user

    return make_user("admin", username="test-admin")


@pytest.fixture
def api_client(admin_user):
    """A DRF client signed in as an admin; use anonymous_client or client_as(role) for the others."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(admin_user)
    return client


@pytest.fixture
def client(admin_user):
    """pytest-django's Django test client, signed in as an admin."""
    from django.test import Client

    signed_in = Client()
    signed_in.force_login(admin_user)
    return signed_in


@pytest.fixture
def anonymous_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture(scope="session")
def dcmtk() -> None:
    """The DICOM network tests use dcmtk's real storescu/echoscu; missing, they fail rather than skip."""
    import shutil

    if shutil.which("storescu") is None or shutil.which("echoscu") is None:
        pytest.fail("dcmtk is not installed (apt-get install dcmtk; `make test` does this)")


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    path = Path(settings.DATASETS_DIR)
    assert path.is_dir(), f"shared datasets not found at {path} (set CBIR_DATASETS)"
    return path


@pytest.fixture
def synthetic_dicom(tmp_path) -> Path:
    """A small CT slice with fake patient identity, written with pydicom."""
    from tests.factories import write_ct_dicom

    return write_ct_dicom(tmp_path / "ct.dcm")


@pytest.fixture
def gray_image() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.random((64, 80)) * 255).astype(np.uint8)


@pytest.fixture
def client_as(db):
    """client_as("educator") -> an API client signed in as a new user with that role."""
    from rest_framework.test import APIClient

    from tests.factories import make_user

    def signed_in(role: str, user=None):
        client = APIClient()
        client.force_login(user or make_user(role))
        return client

    return signed_in
