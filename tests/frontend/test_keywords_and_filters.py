"""End to end in headless Chromium: filters restrict the results; keywords alone are a query too."""
import pytest
from playwright.sync_api import expect

from tests.frontend.ui import choose_filter, node_count, open_search_page, result_image_ids, search_with_upload

pytestmark = pytest.mark.e2e


def test_diagnosis_filter_keeps_only_that_diagnosis_and_normal_findings_have_no_halo(
        live_server, mri_repository, page, query_image, screenshot_dir):
    from ingest.models import Image

    open_search_page(page, live_server.url)
    choose_filter(page, "#filter-label", "notumor")

    search_with_upload(page, query_image, k=9)

    labels = set(Image.objects.filter(pk__in=result_image_ids(page)).values_list("label", flat=True))
    assert labels == {"notumor"}
    page.click("#tab-list")
    expect(page.locator("#result-list .result-card.is-abnormal")).to_have_count(0)
    page.click("#tab-graph")
    page.wait_for_timeout(600)
    page.screenshot(path=str(screenshot_dir / "filter_notumor.png"))


def test_keywords_alone_search_the_repository_and_make_a_permalink(
        live_server, mri_repository, page, screenshot_dir):
    from browser.services.keywords import rebuild_search_text
    from ingest.models import Image

    # The FTS5 table is no Django model, so the flush between live-server tests leaves rows of
    # earlier tests' images behind; they would crowd out the real matches (reported to the lead).
    rebuild_search_text()
    open_search_page(page, live_server.url)
    page.fill("#keywords", "pituitary")
    page.fill("#k", "6")

    page.click("#search")

    page.wait_for_selector("#status[data-state=ready], #status[data-state=error]")
    assert node_count(page) == 7, page.text_content("#status")
    labels = set(Image.objects.filter(pk__in=result_image_ids(page)).values_list("label", flat=True))
    assert labels == {"pituitary"}
    assert page.evaluate("window.location.hash") == "#k=6&q=pituitary"
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshot_dir / "keywords_only.png"))
