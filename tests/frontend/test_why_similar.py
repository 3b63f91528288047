"""End to end in headless Chromium: "Why similar?" on a result shows the heatmaps of a neural encoder;
the training-free baseline explains politely that it has none."""
import re

import pytest
from playwright.sync_api import expect

# Importing registers the tiny conv net encoder; its fixture makes it active before mri_repository embeds.
from tests.browser.test_why_similar_api import tiny_cnn  # noqa: F401
from tests.frontend.ui import open_first_result, open_search_page, search_with_upload

pytestmark = pytest.mark.e2e


def test_why_similar_with_the_baseline_encoder_shows_the_servers_message(
        live_server, mri_repository, page, query_image, screenshot_dir):
    open_search_page(page, live_server.url)
    search_with_upload(page, query_image, k=5)
    open_first_result(page)

    page.click("#why-similar")

    message = page.locator("#why-similar-section .why-message")
    expect(message).to_contain_text("Heatmaps are not available here")
    expect(message).to_contain_text("has no similarity heatmaps")
    expect(page.locator("#metadata-panel .panel-error")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "why_similar_baseline.png"))


def test_why_similar_with_a_neural_encoder_shows_both_heatmaps_side_by_side(
        live_server, tiny_cnn, mri_repository, page, query_image, screenshot_dir):
    open_search_page(page, live_server.url)
    page.select_option("#encoder", "test-tiny-cnn")
    search_with_upload(page, query_image, k=5)
    open_first_result(page)

    page.click("#why-similar")

    section = page.locator("#why-similar-section")
    expect(section.locator(".why-similarity")).to_contain_text("Cosine similarity")
    for overlay in [".why-query", ".why-result"]:
        expect(section.locator(overlay)).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    assert page.evaluate("() => [...document.querySelectorAll('#why-similar-section img')].every((i) => i.naturalWidth > 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot_dir / "why_similar_heatmaps.png"))


def test_why_similar_is_not_offered_after_a_keyword_only_search(live_server, mri_repository, page):
    from browser.services.keywords import rebuild_search_text

    rebuild_search_text()  # as in test_keywords_and_filters: rows of earlier live-server tests linger
    open_search_page(page, live_server.url)
    page.fill("#keywords", "pituitary")
    page.fill("#k", "4")
    page.click("#search")
    page.wait_for_selector("#status[data-state=ready]")

    open_first_result(page)

    expect(page.locator("#more-like-this")).to_be_visible()
    expect(page.locator("#why-similar")).to_have_count(0)  # no query pixels to explain against
