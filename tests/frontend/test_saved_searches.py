"""End to end in headless Chromium: a researcher saves a keyword + image search with a filter,
re-runs it from the list and exports its results as CSV."""
import csv
import io

import pytest
from playwright.sync_api import expect

from tests.frontend.ui import (choose_filter, open_search_page, result_image_ids, search_with_upload,
                               wait_for_node_count)

pytestmark = pytest.mark.e2e


@pytest.fixture
def signed_in_role():
    return "researcher"


def test_researcher_saves_reruns_and_exports_a_keyword_and_image_search(
        live_server, mri_repository, page, query_image, screenshot_dir):
    from browser.services.keywords import rebuild_search_text
    from ingest.models import Image

    rebuild_search_text()  # the FTS5 table outlives the flush between live-server tests
    open_search_page(page, live_server.url)
    page.fill("#keywords", "glioma")
    choose_filter(page, "#filter-label", "glioma")
    search_with_upload(page, query_image, k=5)
    shown = result_image_ids(page)
    assert set(Image.objects.filter(pk__in=shown).values_list("label", flat=True)) == {"glioma"}
    page.once("dialog", lambda dialog: dialog.accept("Gliomas like case 12"))

    page.click("#save-search")

    expect(page.locator("#status")).to_contain_text("Search saved as “Gliomas like case 12”")
    page.click("#tab-saved")
    item = page.locator(".saved-item", has_text="Gliomas like case 12")
    expect(item).to_contain_text("uploaded image")
    expect(item).to_contain_text("Diagnosis: glioma")
    page.screenshot(path=str(screenshot_dir / "saved_searches.png"))

    item.locator(".saved-run").click()
    wait_for_node_count(page, 6)
    expect(page.locator("#graph-view")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Ran “Gliomas like case 12”: 5 results")
    assert sorted(result_image_ids(page)) == sorted(shown)
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshot_dir / "saved_search_rerun.png"))

    page.click("#tab-saved")
    with page.expect_download() as download_info:
        item.locator(".saved-export").click()
    rows = list(csv.DictReader(io.StringIO(download_info.value.path().read_text(encoding="utf-8"))))

    assert sorted(int(row["id"]) for row in rows) == sorted(shown)
    assert {row["label"] for row in rows} == {"glioma"}
