"""Browser test setup: the built frontend, a real indexed repository, headless Chromium via Playwright."""
import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.conftest import write_subset_labels
from tests.browser.conftest import mirrored_repository, orthanc, pacs  # noqa: F401 (fixtures: a real PACS for the UI)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "test-output" / "frontend"
IMAGES_PER_CLASS = 55  # 4 classes -> 220 vectors: enough for a real MRPT index (ANN_MIN_POINTS = 200)


@pytest.fixture(scope="session")
def built_frontend() -> Path:
    """The tests build nothing: make test runs `npm ci && npm run build` in frontend/ and
    compiles the translations (`make translations`) first."""
    index = Path(settings.FRONTEND_DIST) / "index.html"
    if not index.is_file():
        pytest.fail(f"{index} is missing: build the frontend first (make frontend, or "
                    f"cd frontend && npm ci && npm run build)", pytrace=False)
    if not list((Path(settings.BASE_DIR) / "frontend" / "locale").glob("*/LC_MESSAGES/djangojs.mo")):
        pytest.fail("the UI's translations are not compiled: make translations", pytrace=False)
    if Path(settings.FRONTEND_DIST) not in [Path(entry) for entry in settings.STATICFILES_DIRS]:
        pytest.fail("frontend/dist was built after Django started: STATICFILES_DIRS does not list it", pytrace=False)
    return index


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium for one test module; Playwright stops before other modules run."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium", pytrace=False)
    # Playwright's sync API runs an event loop in this thread; Django then refuses ORM calls
    # (fixture teardown) unless told that this is safe here (../shared/SETUP-NOTES.md, section 6).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def session_cookie(base_url: str, user) -> dict:
    """The session cookie of `user`, so a browser starts signed in."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": base_url}


@pytest.fixture
def signed_in_role() -> str:
    """The role the browser signs in with; a test overrides it with @pytest.mark.parametrize or a fixture."""
    return "student"


@pytest.fixture
def page(chromium, built_frontend, live_server, transactional_db, signed_in_role):
    """A fresh browser tab (English, 1440×900), signed in; JavaScript errors fail the test."""
    from tests.factories import make_user

    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    context.add_cookies([session_cookie(live_server.url, make_user(signed_in_role))])
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page_as(chromium, built_frontend, live_server, transactional_db):
    """Opens more tabs, each in its own browser context signed in as a given user (e.g. a student after an educator)."""
    contexts = []

    def open_tab(user):
        context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB", accept_downloads=True)
        context.add_cookies([session_cookie(live_server.url, user)])
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(20_000)
        return tab

    yield open_tab
    for context in contexts:
        context.close()


@pytest.fixture
def anonymous_page(chromium, built_frontend):
    """A browser tab with no session."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    yield tab
    context.close()


@pytest.fixture
def mri_repository(transactional_db, datasets_dir, tmp_path):
    """220 real brain MRI slices (55 per class) ingested, embedded with the baseline and MRPT-indexed."""
    from embeddings.services import embed_and_index_new_images
    from ingest.folders import ingest_folder
    from ingest.services import get_or_create_dataset

    labels = write_subset_labels(datasets_dir, "brain_tumor_mri", IMAGES_PER_CLASS, tmp_path / "labels.csv")
    report = ingest_folder(root=datasets_dir / "brain_tumor_mri", dataset=get_or_create_dataset("brain_tumor_mri"),
                           labels_csv=labels)
    embed_and_index_new_images(image_ids=report.created_ids)
    return report.created_ids


@pytest.fixture
def query_image(datasets_dir, tmp_path) -> Path:
    """A glioma slice that is not in mri_repository (the last one of its class in labels.csv)."""
    labels = (datasets_dir / "brain_tumor_mri" / "labels.csv").read_text(encoding="utf-8").splitlines()
    glioma = [line.split(",")[0] for line in labels[1:] if line.split(",")[1] == "glioma"]
    return datasets_dir / "brain_tumor_mri" / glioma[-1]


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
