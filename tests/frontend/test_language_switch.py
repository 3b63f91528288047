"""End to end in headless Chromium: the UI switches between English and Spanish."""
import pytest
from playwright.sync_api import expect

from tests.frontend.ui import click_graph_node, open_search_page, result_image_ids, search_with_upload

pytestmark = pytest.mark.e2e


def test_switching_to_spanish_translates_controls_status_legend_and_metadata(
        live_server, mri_repository, page, query_image, screenshot_dir):
    open_search_page(page, live_server.url)
    search_with_upload(page, query_image, k=10)
    click_graph_node(page, result_image_ids(page)[0])

    page.select_option("#language", "es")

    expect(page.locator("#search")).to_have_text("Buscar")
    expect(page.locator("#legend-heading")).to_have_text("Simbología")
    expect(page.locator("#status")).to_contain_text("Se encontraron 10 imágenes similares")
    expect(page.locator("#metadata-panel")).to_contain_text("Parte del cuerpo")
    expect(page.locator("#tab-list")).to_have_text("Lista")
    assert page.evaluate("document.documentElement.lang") == "es"
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot_dir / "spanish.png"))

    page.reload()
    expect(page.locator("#search")).to_have_text("Buscar")  # the choice is remembered
    page.select_option("#language", "en")
    expect(page.locator("#search")).to_have_text("Search")
